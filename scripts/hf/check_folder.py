"""Checks that a checkpoint folder written by saveEncoderCheckpoint is whole, as transformers sees it.

Dev tooling only (needs torch, transformers, safetensors from PyPI); `npm run hf:check` writes the
folders from Node and runs this on each:

  python scripts/hf/check_folder.py SOURCE_DIR WRITTEN_DIR --encoder same|changed

SOURCE_DIR is the base the folder was written from; --encoder says whether the encoder weights
were saved unchanged or trained (perturbed). The checks:

  1. the class named in config.json `architectures` loads the folder with no missing, unexpected or
     mismatched keys, and every tensor of its state_dict is the file's (or tied to one that is):
     nothing was left to random initialisation;
  2. AutoModel loads it with no missing or unexpected key beyond those it reports for the source;
  3. pooler_output is the pooler computed by hand from the folder's own pooler tensors on the
     folder's last_hidden_state (a re-initialised pooler differs by far more than the tolerance);
  4. encoder unchanged: every tensor and every output equals the source's; encoder trained: the
     tensors outside the encoder equal the source's, and the encoder's outputs moved.

Exit status 1 when any check fails; each check prints one line.
"""
import argparse
import json
import os
import sys

import torch
import transformers
from safetensors import safe_open
from transformers import AutoModel, AutoTokenizer

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SENTENCES = json.load(open(os.path.join(ROOT, "test", "fixtures", "parity", "sentences.json"), encoding="utf-8"))
PREFIXES = ["", "bert.", "roberta.", "model.", "encoder_model."]
TOL = 1e-6

# This script's lines are the report; transformers' own load tables and progress bars would repeat it.
transformers.logging.set_verbosity_error()
transformers.logging.disable_progress_bar()

failures = []


def check(ok, what):
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


def file_tensors(folder):
    with safe_open(os.path.join(folder, "model.safetensors"), "pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def encoder_prefix(tensors):
    return next(p for p in PREFIXES if f"{p}embeddings.word_embeddings.weight" in tensors)


def load(cls, folder):
    model, info = cls.from_pretrained(folder, output_loading_info=True, attn_implementation="eager")
    return model.float().eval(), info


def max_diff(a, b):
    return (a.float() - b.float()).abs().max().item()


def check_state_dict(model, tensors, prefix):
    """Every entry of the loaded state_dict equals a tensor of the file, or shares storage with one that does."""
    state = model.state_dict()
    by_ptr = {}
    for k, v in state.items():
        by_ptr.setdefault(v.data_ptr(), []).append(k)
    stored = lambda k: k if k in tensors else prefix + k if prefix + k in tensors else None
    bad = []
    for k, v in state.items():
        name = stored(k) or next((stored(t) for t in by_ptr[v.data_ptr()] if stored(t)), None)
        if name is None:
            bad.append(f"{k} (in no tensor of the file)")
        elif tuple(v.shape) != tuple(tensors[name].shape) or max_diff(v, tensors[name].to(v.dtype)) > 0:
            bad.append(f"{k} (differs from the file's {name})")
    check(not bad, f"all {len(state)} loaded tensors are the file's" + (f": {bad[:5]}" if bad else ""))


def outputs(model, tok):
    enc = tok(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model(**enc)
    return out, enc["attention_mask"]


def real(h, mask):
    return h[mask.bool()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("written")
    ap.add_argument("--encoder", choices=["same", "changed"], required=True)
    a = ap.parse_args()
    print(f"{a.written} (from {a.source}, encoder {a.encoder}; transformers {transformers.__version__})")
    src_t, out_t = file_tensors(a.source), file_tensors(a.written)
    prefix = encoder_prefix(out_t)
    config = json.load(open(os.path.join(a.written, "config.json"), encoding="utf-8"))
    shapes = lambda t: {k: (str(v.dtype), tuple(v.shape)) for k, v in t.items()}
    check(shapes(src_t) == shapes(out_t), f"model.safetensors has the source's {len(src_t)} tensor names, dtypes and shapes")

    # 1. The class config.json names.
    for arch in config.get("architectures", []):
        cls = getattr(transformers, arch, None)
        check(cls is not None, f"architectures names a transformers class ({arch})")
        if cls is None:
            continue
        model, info = load(cls, a.written)
        problems = {k: info[k] for k in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs") if info.get(k)}
        check(not problems, f"{arch}.from_pretrained: no missing, unexpected or mismatched keys" + (f": {problems}" if problems else ""))
        check_state_dict(model, out_t, prefix)
        if a.encoder == "same":
            src_model, _ = load(cls, a.source)
            tok = AutoTokenizer.from_pretrained(a.written)
            (o, mask), (s, _) = outputs(model, tok), outputs(src_model, tok)
            d = max_diff(real(o[0], mask), real(s[0], mask))
            check(d <= TOL, f"{arch} output ({next(iter(o.keys()))}) equals the source's (max |Δ| {d:.2e})")

    # 2. AutoModel, as users load a base.
    model, info = load(AutoModel, a.written)
    src_model, src_info = load(AutoModel, a.source)
    for key in ("missing_keys", "unexpected_keys"):
        new = sorted(set(info[key]) - set(src_info[key]))
        check(not new, f"AutoModel ({type(model).__name__}): no {key.replace('_', ' ')} beyond the source's {sorted(src_info[key])}" + (f": {new}" if new else ""))
    tok = AutoTokenizer.from_pretrained(a.written)
    (o, mask), (s, _) = outputs(model, tok), outputs(src_model, tok)

    # 3. The pooler, computed from the folder's own tensors.
    pooler = lambda t: next((p + "pooler.dense.weight" for p in PREFIXES if p + "pooler.dense.weight" in t), None)
    w_name = pooler(out_t)
    if w_name is None:
        check(pooler(src_t) is None, "no pooler in the file, nor in the source (AutoModel's is initialised at random for both)")
    else:
        w, b = out_t[w_name].float(), out_t[w_name.replace(".weight", ".bias")].float()
        by_hand = torch.tanh(o.last_hidden_state[:, 0] @ w.T + b)
        d = max_diff(o.pooler_output, by_hand)
        check(d <= TOL, f"pooler_output is the file's pooler on the folder's hidden states (max |Δ| {d:.2e})")

    # 4. Against the source.
    d_hidden = max_diff(real(o.last_hidden_state, mask), real(s.last_hidden_state, mask))
    # A pooler in neither file is random on both sides: nothing to compare.
    has_pool = (w_name or pooler(src_t)) is not None and o.pooler_output is not None
    d_pool = max_diff(o.pooler_output, s.pooler_output) if has_pool else None
    pool = f", pooler_output {d_pool:.2e}" if d_pool is not None else ""
    if a.encoder == "same":
        same = [k for k in src_t if k in out_t and torch.equal(src_t[k], out_t[k])]
        check(len(same) == len(src_t), f"every tensor equals the source's ({len(same)}/{len(src_t)})")
        ok = d_hidden <= TOL and (d_pool is None or d_pool <= TOL)
        check(ok, f"outputs equal the source's (max |Δ| last_hidden_state {d_hidden:.2e}{pool})")
    else:
        outside = [k for k in src_t if not k.startswith(prefix + "embeddings.") and not k.startswith(prefix + "encoder.")]
        tied = {"lm_head.decoder.weight", "cls.predictions.decoder.weight"}
        kept = [k for k in outside if k in out_t and (k in tied or torch.equal(src_t[k], out_t[k]))]
        check(len(kept) == len(outside), f"the {len(outside)} tensors outside the encoder equal the source's {sorted(set(outside) - set(kept))[:5] or ''}")
        moved = sum(k in out_t and not torch.equal(src_t[k], out_t[k]) for k in src_t if k not in outside)
        check(moved > 0 and d_hidden > 1e-3, f"the encoder moved ({moved} tensors; max |Δ| last_hidden_state {d_hidden:.2e}{pool})")
    print("  => " + (f"FAILED ({len(failures)} checks)" if failures else "whole"))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
