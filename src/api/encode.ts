// Text (or pre-tokenized words) into vectors through a composition: per token or pooled, the
// combined vector, and on request h_L and each component's output. Inputs are batched by length;
// the stream form reads and yields batch by batch, so a file of any size runs in bounded memory.
import * as tf from '@tensorflow/tfjs';
import { encodeSequences } from '../kadapter/encoder.ts';
import { lengthBatches } from '../kadapter/tokenizer.ts';
import { yieldToEventLoop } from '../util/interrupt.ts';
import type { Composition } from './compose.ts';

export type EncodeInput = string | { words: string[] };

export const POOLINGS = ['first', 'mean', 'none'] as const;
/** `first`: the start token ([CLS], <s>); `mean`: the mean over the input's tokens, special tokens included (as sentence-transformers pools); `none`: every token. */
export type Pooling = (typeof POOLINGS)[number];

export interface EncodeOptions {
  pool?: Pooling;
  /** Also return h_L and each component's output (pooled the same way). */
  parts?: boolean;
  /** Longest input in tokens (special tokens included); longer ones are cut and flagged. */
  maxLength?: number;
  /** Padded tokens per forward batch. */
  batchTokens?: number;
}

export interface EncodedInput {
  /** Token ids with the special tokens, as encoded. */
  ids: number[];
  /** For word input: per word, the index of its first subword (-1 when cut). */
  firstSubword?: number[];
  /** Whether the input was cut at maxLength. */
  truncated: boolean;
  /** The combined vector: [width] pooled, or [tokens × width] row-major with pool `none`. */
  vector: Float32Array;
  /** With `parts`: h_L and each component's output, by name, shaped as `vector` with width H. */
  parts?: Record<string, Float32Array>;
}

interface Tokenized {
  ids: number[];
  firstSubword?: number[];
  truncated: boolean;
}

function tokenize(comp: Composition, input: EncodeInput, maxLength: number): Tokenized {
  const tok = comp.base.tokenizer;
  if (typeof input !== 'string') {
    const w = tok.encodeWords(input.words, maxLength);
    return { ids: w.ids, firstSubword: w.firstSubword, truncated: w.truncatedWords > 0 };
  }
  const ids = tok.encodeText(input);
  if (ids.length <= maxLength) return { ids, truncated: false };
  return { ids: [...ids.slice(0, maxLength - 1), tok.sepId], truncated: true };
}

/** Vectors for one batch of tokenized inputs (same order). */
function encodeBatch(comp: Composition, batch: Tokenized[], pool: Pooling, parts: boolean): EncodedInput[] {
  const { base } = comp;
  const H = base.config.hidden;
  return tf.tidy(() => {
    const { states, mask, T } = encodeSequences(
      base.weights,
      base.config,
      batch.map((b) => b.ids),
      base.tokenizer.padId,
    );
    const hL = states[base.config.layers]!;
    const outputs = comp.components.map((c) => c.forward(states, mask));
    const combined =
      comp.combine === 'concat'
        ? tf.concat([hL, ...outputs], -1)
        : outputs.reduce((acc: tf.Tensor3D, o) => acc.add(o), hL);
    // Pooling in the graph: [B, T, D] → [B, D]; `none` keeps [B, T, D] and is cut per input below.
    const pooled = (x: tf.Tensor3D): tf.Tensor => {
      if (pool === 'first') return x.slice([0, 0, 0], [-1, 1, -1]).squeeze([1]);
      if (pool === 'none') return x;
      const m = mask.toFloat().expandDims(-1);
      return x.mul(m).sum(1).div(m.sum(1));
    };
    const fetch = (x: tf.Tensor3D, width: number) => {
      const data = pooled(x).dataSync() as Float32Array;
      return batch.map((b, i) =>
        pool === 'none'
          ? data.slice(i * T * width, (i * T + b.ids.length) * width)
          : data.slice(i * width, (i + 1) * width),
      );
    };
    const vectors = fetch(combined as tf.Tensor3D, comp.width);
    const named = parts
      ? [['base', fetch(hL, H)] as const, ...comp.names.map((n, k) => [n, fetch(outputs[k]!, H)] as const)]
      : [];
    return batch.map((b, i) => ({
      ids: b.ids,
      ...(b.firstSubword ? { firstSubword: b.firstSubword } : {}),
      truncated: b.truncated,
      vector: vectors[i]!,
      ...(parts ? { parts: Object.fromEntries(named.map(([n, v]) => [n, v[i]!])) } : {}),
    }));
  });
}

/**
 * Encodes inputs in chunks of `chunkSize` read from the iterable, yielding each chunk's results in
 * input order; within a chunk, inputs are batched by length.
 */
export async function* encodeStream(
  comp: Composition,
  inputs: AsyncIterable<EncodeInput> | Iterable<EncodeInput>,
  opts: EncodeOptions & { chunkSize?: number } = {},
): AsyncGenerator<EncodedInput[]> {
  const chunkSize = opts.chunkSize ?? 256;
  let chunk: EncodeInput[] = [];
  for await (const input of inputs) {
    chunk.push(input);
    if (chunk.length >= chunkSize) {
      yield await encodeChunk(comp, chunk, opts);
      chunk = [];
    }
  }
  if (chunk.length > 0) yield await encodeChunk(comp, chunk, opts);
}

/** Encodes every input; results in input order. */
export async function encode(
  comp: Composition,
  inputs: EncodeInput[],
  opts: EncodeOptions = {},
): Promise<EncodedInput[]> {
  return encodeChunk(comp, inputs, opts);
}

async function encodeChunk(comp: Composition, inputs: EncodeInput[], opts: EncodeOptions): Promise<EncodedInput[]> {
  const maxLength = Math.min(opts.maxLength ?? comp.base.maxLength, comp.base.maxLength);
  const tokenized = inputs.map((x) => tokenize(comp, x, maxLength));
  const out: EncodedInput[] = new Array(inputs.length);
  for (const idx of lengthBatches(
    tokenized.map((t) => t.ids.length),
    opts.batchTokens ?? 4096,
  )) {
    const results = encodeBatch(
      comp,
      idx.map((i) => tokenized[i]!),
      opts.pool ?? 'first',
      opts.parts ?? false,
    );
    idx.forEach((i, k) => (out[i] = results[k]!));
    await yieldToEventLoop();
  }
  return out;
}
