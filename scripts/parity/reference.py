"""Reference hidden states from Hugging Face transformers, for the encoder parity tests.

Dev tooling only (needs torch, transformers, tokenizers, safetensors from PyPI; CI uses the
committed fixtures):

  python scripts/parity/reference.py fixtures              # tiny random BERT and RoBERTa + references
  python scripts/parity/reference.py reference MODEL_DIR OUT.safetensors   # any checkpoint folder

A reference file holds, for the sentences of test/fixtures/parity/sentences.json padded into one
batch: input_ids, attention_mask, word_first_token (per whitespace word, the index of its first
token, -1 past the end) and hidden.0 .. hidden.L (index 0 = embeddings); `reference` adds exact.0 ..
exact.L, the same forward pass in float64.
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoModel, AutoTokenizer

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
FIXTURES = os.path.join(ROOT, "test", "fixtures", "parity")
SENTENCES = json.load(open(os.path.join(FIXTURES, "sentences.json"), encoding="utf-8"))


def word_first_tokens(text, offsets):
    """Index of the first token overlapping each whitespace-separated word of text."""
    out, pos = [], 0
    for word in text.split(" "):
        start, end = pos, pos + len(word)
        pos = end + 1
        first = next((i for i, (s, e) in enumerate(offsets) if e > s and s < end and e > start), -1)
        out.append(first)
    return out


def reference(model_dir, out_file, exact=False):
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    enc = tok(SENTENCES, padding=True, return_tensors="pt", return_offsets_mapping=True)
    offsets = enc.pop("offset_mapping").tolist()
    firsts = [word_first_tokens(s, o) for s, o in zip(SENTENCES, offsets)]
    width = max(len(f) for f in firsts)
    firsts = [f + [-1] * (width - len(f)) for f in firsts]
    with torch.no_grad():
        outputs = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], output_hidden_states=True)
    tensors = {
        "input_ids": enc["input_ids"].to(torch.int32).contiguous(),
        "attention_mask": enc["attention_mask"].to(torch.int32).contiguous(),
        "word_first_token": torch.tensor(firsts, dtype=torch.int32),
    }
    for i, h in enumerate(outputs.hidden_states):
        tensors[f"hidden.{i}"] = h.float().contiguous()
    if exact:
        # The same forward in float64: how far float32 itself (torch's included) drifts on a real model.
        with torch.no_grad():
            exact_states = model.double()(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], output_hidden_states=True).hidden_states
        for i, h in enumerate(exact_states):
            tensors[f"exact.{i}"] = h.float().contiguous()
    save_file(tensors, out_file, metadata={"model": os.path.basename(os.path.abspath(model_dir)), "transformers": __import__("transformers").__version__})
    print(f"{out_file}: {len(outputs.hidden_states)} hidden states of {tuple(outputs.hidden_states[0].shape)}")


def corpus():
    # A little running text to train the tiny vocabularies on; the parity sentences included.
    text = SENTENCES * 3
    text += [
        "the of and to in is was for that with as on by at from his her they this which be are",
        "capital country city river language currency border region continent element metal",
        "knowledge adapter model training language linguistic factual relation head word sentence",
    ] * 5
    return text


def tiny_bert(out_dir):
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    os.makedirs(out_dir, exist_ok=True)
    wp = BertWordPieceTokenizer(lowercase=True)
    wp.train_from_iterator(corpus(), vocab_size=400, min_frequency=1, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    wp.save_model(out_dir)
    tok = BertTokenizerFast.from_pretrained(out_dir, do_lower_case=True)
    tok.save_pretrained(out_dir)
    config = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64, type_vocab_size=2, initializer_range=0.2)
    torch.manual_seed(1)
    model = BertModel(config, add_pooling_layer=True)
    perturb_layer_norms(model)
    model.save_pretrained(out_dir, safe_serialization=True)


def tiny_roberta(out_dir):
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaForMaskedLM, RobertaTokenizerFast

    os.makedirs(out_dir, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus(), vocab_size=600, min_frequency=1, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.save_model(out_dir)
    tok = RobertaTokenizerFast.from_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    config = RobertaConfig(vocab_size=tok.vocab_size, hidden_size=48, num_hidden_layers=3, num_attention_heads=4,
                           intermediate_size=96, max_position_embeddings=66, type_vocab_size=1, pad_token_id=1,
                           bos_token_id=0, eos_token_id=2, initializer_range=0.2)
    torch.manual_seed(2)
    # Saved from a task model so the weights sit under the "roberta." prefix, as real ones often do.
    model = RobertaForMaskedLM(config)
    perturb_layer_norms(model)
    model.save_pretrained(out_dir, safe_serialization=True)


def perturb_layer_norms(model):
    # Fresh LayerNorms are exactly 1 and 0, which would hide a swapped gamma and beta.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name:
                p.add_(torch.randn_like(p) * 0.1)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "fixtures":
        for name, make in [("bert-tiny", tiny_bert), ("roberta-tiny", tiny_roberta)]:
            d = os.path.join(FIXTURES, name)
            make(d)
            reference(d, os.path.join(FIXTURES, f"{name}.reference.safetensors"))
    elif len(sys.argv) == 4 and sys.argv[1] == "reference":
        reference(sys.argv[2], sys.argv[3], exact=True)
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
