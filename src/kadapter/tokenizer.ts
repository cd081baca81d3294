// Tokenization through @huggingface/tokenizers (a maintained pure-JS port of HF tokenizers).
// A folder with `tokenizer.json` is used as it is; one with only `vocab.txt` (WordPiece) or
// `vocab.json` + `merges.txt` (byte-level BPE) gets the equivalent tokenizer.json built here.
// Word-level encoding keeps, for each word, the position of its first subword: the K-Adapter heads
// put a word's label there.
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { z } from 'zod';
import { UserError } from '../util/errors.ts';
import { readJsonFile, validateJson } from '../util/json-file.ts';

export interface WordEncoding {
  /** Token ids with the special tokens: [CLS] w1a w1b w2a … [SEP]. */
  ids: number[];
  /** Per word, the index in `ids` of its first subword; -1 for a word cut by truncation. */
  firstSubword: number[];
  /** Per position, the word it belongs to; -1 for special tokens. */
  wordOf: number[];
  /** Words dropped because the sequence reached maxLength. */
  truncatedWords: number;
}

export interface BaseTokenizer {
  kind: 'tokenizer.json' | 'wordpiece' | 'bpe';
  clsId: number;
  sepId: number;
  padId: number;
  unkId: number;
  /** A sentence as the model saw running text: with special tokens. */
  encodeText(text: string): number[];
  /** Pre-split words (CoreNLP tokens). Words past maxLength are cut, counted, never silently. */
  encodeWords(words: string[], maxLength: number): WordEncoding;
  tokenId(token: string): number | undefined;
}

type Json = Record<string, unknown>;

// Hugging Face's tokenizer files: objects, with only the fields read here checked; the rest goes to
// @huggingface/tokenizers as it is.
const JsonObject = z.record(z.string(), z.unknown());
const VocabFile = z.record(z.string(), z.number().int().min(0));
const Special = z.tuple([z.string(), z.number()]);
/** The post-processors whose start and end tokens are read (others: none found). */
const PostProcessor = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('Sequence'), processors: z.array(z.unknown()) }),
  z.looseObject({ type: z.enum(['RobertaProcessing', 'BertProcessing']), cls: Special, sep: Special }),
  z.looseObject({
    type: z.literal('TemplateProcessing'),
    single: z.array(z.looseObject({ SpecialToken: z.looseObject({ id: z.string() }).optional() })),
  }),
]);
const POST_PROCESSOR_TYPES: readonly unknown[] = [
  'Sequence',
  'RobertaProcessing',
  'BertProcessing',
  'TemplateProcessing',
];

export interface TokenizerOptions {
  /** Ignore tokenizer.json and build from the vocabulary files (tests prove the two agree). */
  fromVocabFiles?: boolean;
}

export function loadTokenizer(dir: string, opts: TokenizerOptions = {}): BaseTokenizer {
  const file = (f: string) => path.join(dir, f);
  const config: Json = fs.existsSync(file('tokenizer_config.json'))
    ? readJsonFile(file('tokenizer_config.json'), JsonObject)
    : {};
  let json: Json;
  let kind: BaseTokenizer['kind'];
  if (fs.existsSync(file('tokenizer.json')) && !opts.fromVocabFiles) {
    json = readJsonFile(file('tokenizer.json'), JsonObject);
    kind = 'tokenizer.json';
  } else if (fs.existsSync(file('vocab.txt'))) {
    json = wordPieceJson(fs.readFileSync(file('vocab.txt'), 'utf8'), config);
    kind = 'wordpiece';
  } else if (fs.existsSync(file('vocab.json')) && fs.existsSync(file('merges.txt'))) {
    json = byteLevelBpeJson(
      readJsonFile(file('vocab.json'), VocabFile),
      fs.readFileSync(file('merges.txt'), 'utf8'),
      config,
    );
    kind = 'bpe';
  } else {
    throw new UserError(`${dir}: no tokenizer found (need tokenizer.json, vocab.txt, or vocab.json with merges.txt)`);
  }
  const tok = new Tokenizer(json, config);
  const { cls, sep } = specialTokens(json, dir);
  const idOf = (t: string, what: string) => {
    const id = tok.token_to_id(t);
    if (id === undefined) throw new UserError(`${dir}: the ${what} token "${t}" is not in the vocabulary`);
    return id;
  };
  const clsId = idOf(cls, 'start');
  const sepId = idOf(sep, 'end');
  const pad = typeof config.pad_token === 'string' ? config.pad_token : cls === '<s>' ? '<pad>' : '[PAD]';
  const unk = typeof config.unk_token === 'string' ? config.unk_token : cls === '<s>' ? '<unk>' : '[UNK]';
  const padId = idOf(pad, 'padding');
  const unkId = idOf(unk, 'unknown');
  // Byte-level BPE marks a word's leading space in its first piece, so words after the first are
  // encoded with the space they have in running text.
  const spaceBeforeWords = JSON.stringify(json.pre_tokenizer ?? null).includes('"ByteLevel"');

  return {
    kind,
    clsId,
    sepId,
    padId,
    unkId,
    encodeText: (text) => tok.encode(text).ids,
    tokenId: (t) => tok.token_to_id(t),
    encodeWords(words, maxLength) {
      const ids = [clsId];
      const wordOf = [-1];
      const firstSubword: number[] = [];
      let truncatedWords = 0;
      for (let i = 0; i < words.length; i++) {
        const text = spaceBeforeWords && i > 0 ? ` ${words[i]}` : words[i]!;
        let pieces = tok.encode(text, { add_special_tokens: false }).ids;
        // A word that normalises to nothing (a lone control or zero-width character) still needs a
        // position for its label.
        if (pieces.length === 0) pieces = [unkId];
        if (ids.length + pieces.length + 1 > maxLength) {
          truncatedWords = words.length - i;
          for (; i < words.length; i++) firstSubword.push(-1);
          break;
        }
        firstSubword.push(ids.length);
        for (const p of pieces) {
          ids.push(p);
          wordOf.push(i);
        }
      }
      ids.push(sepId);
      wordOf.push(-1);
      return { ids, firstSubword, wordOf, truncatedWords };
    },
  };
}

/** The start and end tokens the post-processor adds around a single sentence. */
function specialTokens(json: Json, dir: string): { cls: string; sep: string } {
  const find = (value: unknown): { cls: string; sep: string } | null => {
    if (!value || typeof value !== 'object' || !('type' in value) || !POST_PROCESSOR_TYPES.includes(value.type))
      return null;
    const pp = validateJson(value, PostProcessor, `${dir}: tokenizer post_processor`);
    if (pp.type === 'Sequence') {
      for (const p of pp.processors) {
        const f = find(p);
        if (f) return f;
      }
      return null;
    }
    if (pp.type === 'TemplateProcessing') {
      const single = pp.single.map((s) => s.SpecialToken?.id ?? null);
      const first = single[0];
      const last = single[single.length - 1];
      return first && last ? { cls: first, sep: last } : null;
    }
    return { cls: pp.cls[0], sep: pp.sep[0] };
  };
  const found = find(json.post_processor);
  if (!found)
    throw new UserError(
      `${dir}: the tokenizer adds no start and end tokens; only BERT- and RoBERTa-style tokenizers are supported`,
    );
  return found;
}

function addedTokens(vocab: Record<string, number>, specials: string[]): Json[] {
  return specials
    .filter((t) => vocab[t] !== undefined)
    .map((t) => ({
      id: vocab[t],
      content: t,
      single_word: false,
      lstrip: t === '<mask>',
      rstrip: false,
      normalized: false,
      special: true,
    }));
}

/** tokenizer.json of a BERT WordPiece tokenizer, as HF's BertTokenizerFast converts vocab.txt. */
export function wordPieceJson(vocabTxt: string, config: Json): Json {
  const vocab: Record<string, number> = {};
  const lines = vocabTxt.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines[lines.length - 1] === '') lines.pop(); // the final newline
  lines.forEach((t, i) => (vocab[t] = i));
  const special = (k: string, d: string) => (typeof config[k] === 'string' ? (config[k] as string) : d);
  const [cls, sep, unk] = [special('cls_token', '[CLS]'), special('sep_token', '[SEP]'), special('unk_token', '[UNK]')];
  const specials = [special('pad_token', '[PAD]'), unk, cls, sep, special('mask_token', '[MASK]')];
  const tokenRef = (t: string) => ({ id: t, ids: [vocab[t]], tokens: [t] });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(vocab, specials),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: config.tokenize_chinese_chars ?? true,
      strip_accents: config.strip_accents ?? null,
      lowercase: config.do_lower_case ?? true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: cls, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: sep, type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: cls, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: sep, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: sep, type_id: 1 } },
      ],
      special_tokens: { [cls]: tokenRef(cls), [sep]: tokenRef(sep) },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

/** tokenizer.json of a RoBERTa byte-level BPE tokenizer from vocab.json and merges.txt. */
export function byteLevelBpeJson(vocab: Record<string, number>, mergesTxt: string, config: Json): Json {
  const merges = mergesTxt.split('\n').filter((l) => l.length > 0 && !l.startsWith('#version'));
  const special = (k: string, d: string) => (typeof config[k] === 'string' ? (config[k] as string) : d);
  const [cls, sep] = [special('bos_token', '<s>'), special('eos_token', '</s>')];
  const addPrefixSpace = config.add_prefix_space === true;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(vocab, [
      cls,
      special('pad_token', '<pad>'),
      sep,
      special('unk_token', '<unk>'),
      special('mask_token', '<mask>'),
    ]),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [sep, vocab[sep]],
      cls: [cls, vocab[cls]],
      trim_offsets: true,
      add_prefix_space: addPrefixSpace,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

/**
 * Indices of items grouped into batches of similar length, shortest first, each at most
 * `batchTokens` padded tokens (a longer item goes alone): little padding, few calls.
 */
export function lengthBatches(lengths: number[], batchTokens: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]!);
  const batches: number[][] = [];
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && (end - start + 1) * lengths[order[end]!]! <= batchTokens) end++;
    batches.push(order.slice(start, end));
    start = end;
  }
  return batches;
}

/** Pads id sequences to one length: ids, mask and the length T. */
export function padBatch(seqs: number[][], padId: number): { ids: Int32Array; mask: Int32Array; B: number; T: number } {
  const B = seqs.length;
  const T = Math.max(1, ...seqs.map((s) => s.length));
  const ids = new Int32Array(B * T).fill(padId);
  const mask = new Int32Array(B * T);
  seqs.forEach((s, b) => {
    ids.set(s, b * T);
    mask.fill(1, b * T, b * T + s.length);
  });
  return { ids, mask, B, T };
}
