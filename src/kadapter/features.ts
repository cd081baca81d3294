// The feature cache. The base is frozen, so the hidden states an adapter reads are computed once
// per example and stored; every epoch, every seed and every adapter variant trains from them.
//
// Layout of a cache folder:
//   shard-00000.jsonl   one EncodedExample a line, with `offset` (in values) and `length` (tokens)
//   shard-00000.bin     per example, per stored layer: length × H values (float16 or float32, LE)
//   manifest.json       base model, layers, dtype, counts, shard checksums, backend, timings
// Shards are written whole through temp files and recorded when finished (src/util/shards.ts); a
// killed build resumes after the last finished shard.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { EncodedDependency, EncodedRelation, type EncodedExample } from '../data/schemas.ts';
import { parseJsonText, readJsonFileIfExists } from '../util/json-file.ts';
import { writeFileAtomic } from '../util/jsonl.ts';
import { runShards, shardName } from '../util/shards.ts';
import { yieldToEventLoop } from '../util/interrupt.ts';
import { offsetsOf } from '../util/offsets.ts';
import { progress } from '../util/progress.ts';
import type { BaseModel } from './base-model.ts';
import { encodeSequences } from './encoder.ts';
import { halfFromBits, halfToFloat } from './safetensors.ts';
import { lengthBatches } from './tokenizer.ts';

const count = z.number().int().min(0);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex');

export const FeatureDType = z.enum(['float16', 'float32']);
export type FeatureDType = z.infer<typeof FeatureDType>;

/** <cache folder>/manifest.json. */
export const FeatureManifest = z.strictObject({
  complete: z.boolean(),
  /** What the cache was built from; a different key rebuilds it. */
  key: z.string(),
  model: z.string(),
  hidden: z.number().int().min(1),
  /** Base layers stored (0 = embeddings), ascending. */
  layers: z.array(z.number().int().min(0)).min(1),
  dtype: FeatureDType,
  examples: count,
  tokens: count,
  shards: z.array(z.strictObject({ name: z.string().regex(/^shard-\d+$/), examples: count, bytes: count, sha256 })),
  backend: z.string(),
  seconds: z.number().min(0),
  tokensPerSecond: z.number().min(0),
});
export type FeatureManifest = z.infer<typeof FeatureManifest>;

/** Where an example's hidden states start in its shard's .bin (in values) and its length in tokens. */
const Stored = { offset: count, length: z.number().int().min(1) };

/** One line of shard-NNNNN.jsonl: an encoded example and where its hidden states are. */
export const CachedExample = z.discriminatedUnion('task', [
  EncodedRelation.extend(Stored),
  EncodedDependency.extend(Stored),
]);
export type CachedExample = z.infer<typeof CachedExample>;

export interface FeatureCacheSpec {
  /** Base layers stored (0 = embeddings), ascending. */
  layers: number[];
  dtype: FeatureDType;
  shardSize: number;
}

// ---- float16 in bulk: a lookup table one way, the bit routine of safetensors.ts the other.

const HALF_TO_FLOAT = (() => {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) table[h] = halfToFloat(h);
  return table;
})();

export function halvesToFloats(src: Uint16Array, dst: Float32Array, dstOffset = 0): void {
  for (let i = 0; i < src.length; i++) dst[dstOffset + i] = HALF_TO_FLOAT[src[i]!]!;
}

export function floatsToHalves(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = halfFromBits(bits[i]!);
  return out;
}

// ---- building

export interface BuildOptions {
  dir: string;
  model: BaseModel;
  examples: EncodedExample[];
  spec: FeatureCacheSpec;
  /** Identifies what the cache was built from; a different key rebuilds it. */
  key: string;
  backend: string;
  label: string;
  /** Tokens per forward batch (padded), the unit of work for the encoder. */
  batchTokens?: number;
}

export function featureCacheIsComplete(dir: string, key: string): boolean {
  const m = readFeatureManifest(dir);
  return (
    m !== null && m.complete && m.key === key && m.shards.every((s) => fs.existsSync(path.join(dir, `${s.name}.bin`)))
  );
}

/** The cache's manifest, null when there is none yet (a cache being built or never built). */
export function readFeatureManifest(dir: string): FeatureManifest | null {
  return readJsonFileIfExists(path.join(dir, 'manifest.json'), FeatureManifest);
}

const shardFile = (k: number): string => `shard-${shardName(k)}`;

export async function buildFeatureCache(o: BuildOptions): Promise<FeatureManifest> {
  const { dir, model, examples, spec } = o;
  if (featureCacheIsComplete(dir, o.key)) return readFeatureManifest(dir)!;
  fs.mkdirSync(dir, { recursive: true });
  // A cache built for other inputs is stale as a whole; shards of this key are kept (resume).
  const keyFile = path.join(dir, 'key.txt');
  if (fs.existsSync(keyFile) && fs.readFileSync(keyFile, 'utf8') !== o.key) {
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  }
  writeFileAtomic(keyFile, o.key);
  const H = model.config.hidden;
  const upTo = Math.max(...spec.layers);
  const totalTokens = examples.reduce((n, e) => n + e.ids.length, 0);
  const tokensBefore = [0];
  for (const e of examples) tokensBefore.push(tokensBefore.at(-1)! + e.ids.length);
  const bar = progress(o.label, totalTokens, 'tokens');
  const started = performance.now();
  let computed = 0;
  const { done } = await runShards(examples, {
    dir,
    inputsHash: o.key,
    shardSize: spec.shardSize,
    what: `${o.label} features`,
    log: (line) => process.stderr.write(`${line}\n`),
    onShard: (n) => bar.update(tokensBefore[n]!),
    work: async (slice, k) => {
      const { lines, data } = await computeShard(model, slice, spec, upTo, o.batchTokens ?? 4096);
      computed += slice.reduce((n, e) => n + e.ids.length, 0);
      return {
        outputs: [
          { file: `${shardFile(k)}.bin`, bytes: Buffer.from(data.buffer, data.byteOffset, data.byteLength) },
          { file: `${shardFile(k)}.jsonl`, rows: lines },
        ],
        skipped: {},
      };
    },
  });
  const shards: FeatureManifest['shards'] = done.map(({ outputs: [bin] }, k) => ({
    name: shardFile(k),
    examples: Math.min(spec.shardSize, examples.length - k * spec.shardSize),
    bytes: bin!.bytes,
    sha256: bin!.sha256,
  }));
  bar.stop();
  const seconds = (performance.now() - started) / 1000;
  const manifest: FeatureManifest = {
    complete: true,
    key: o.key,
    model: model.name,
    hidden: H,
    layers: spec.layers,
    dtype: spec.dtype,
    examples: examples.length,
    tokens: totalTokens,
    shards,
    backend: o.backend,
    seconds,
    tokensPerSecond: computed / Math.max(seconds, 1e-9),
  };
  writeFileAtomic(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

async function computeShard(
  model: BaseModel,
  slice: EncodedExample[],
  spec: FeatureCacheSpec,
  upTo: number,
  batchTokens: number,
) {
  const H = model.config.hidden;
  const L = spec.layers.length;
  const { offsets, total } = offsetsOf(slice.map((e) => e.ids.length * H * L));
  const out = spec.dtype === 'float16' ? new Uint16Array(total) : new Float32Array(total);
  // Similar lengths share a batch; outputs go back in the original order.
  for (const idx of lengthBatches(
    slice.map((e) => e.ids.length),
    batchTokens,
  )) {
    let T = 0;
    const values = tf.tidy(() => {
      const enc = encodeSequences(
        model.weights,
        model.config,
        idx.map((i) => slice[i]!.ids),
        model.tokenizer.padId,
        upTo,
      );
      T = enc.T;
      return spec.layers.map((l) => enc.states[l]!);
    });
    const arrays = await Promise.all(values.map((v) => v.data() as Promise<Float32Array>));
    tf.dispose(values);
    idx.forEach((i, b) => {
      const len = slice[i]!.ids.length;
      spec.layers.forEach((_, li) => {
        const src = arrays[li]!.subarray(b * T * H, b * T * H + len * H);
        const at = offsets[i]! + li * len * H;
        if (out instanceof Uint16Array) out.set(floatsToHalves(src), at);
        else out.set(src, at);
      });
    });
    // Between batches (a shard's files are written whole, after): a signal stops the cache here,
    // and a rerun computes the unfinished shard again.
    await yieldToEventLoop();
  }
  const lines: CachedExample[] = slice.map((e, i) => ({ ...e, offset: offsets[i]!, length: e.ids.length }));
  return { lines, data: out };
}

// ---- reading

export interface LoadedShard {
  examples: CachedExample[];
  data: Uint16Array | Float32Array;
}

export class FeatureCache {
  readonly manifest: FeatureManifest;
  constructor(readonly dir: string) {
    const m = readFeatureManifest(dir);
    if (!m || !m.complete) throw new Error(`${dir}: no complete feature cache`);
    this.manifest = m;
  }

  get size(): number {
    return this.manifest.examples;
  }

  loadShard(i: number): LoadedShard {
    const s = this.manifest.shards[i]!;
    const buf = fs.readFileSync(path.join(this.dir, `${s.name}.bin`));
    if (buf.length !== s.bytes)
      throw new Error(`${this.dir}/${s.name}.bin: ${buf.length} bytes, manifest says ${s.bytes}`);
    const copy = new Uint8Array(buf).buffer; // aligned copy
    const data = this.manifest.dtype === 'float16' ? new Uint16Array(copy) : new Float32Array(copy);
    // Every line is validated: a few µs a line, nothing beside the training step that uses it.
    const index = path.join(this.dir, `${s.name}.jsonl`);
    const examples = fs
      .readFileSync(index, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l, i) => parseJsonText(l, CachedExample, `${index}:${i + 1}`));
    return { examples, data };
  }

  /** Stored layers of the chosen examples as padded [B, T, H] tensors (by base layer), and the mask. */
  batch(
    shard: LoadedShard,
    indices: number[],
  ): { states: (tf.Tensor3D | undefined)[]; mask: tf.Tensor2D; examples: CachedExample[] } {
    const H = this.manifest.hidden;
    const layers = this.manifest.layers;
    const exs = indices.map((i) => shard.examples[i]!);
    const B = exs.length;
    const T = Math.max(...exs.map((e) => e.length));
    const states: (tf.Tensor3D | undefined)[] = [];
    layers.forEach((layer, li) => {
      const buf = new Float32Array(B * T * H);
      exs.forEach((e, b) => {
        const at = e.offset + li * e.length * H;
        const src = shard.data.subarray(at, at + e.length * H);
        if (src instanceof Uint16Array) halvesToFloats(src, buf, b * T * H);
        else buf.set(src, b * T * H);
      });
      states[layer] = tf.tensor3d(buf, [B, T, H]);
    });
    const mask = new Int32Array(B * T);
    exs.forEach((e, b) => mask.fill(1, b * T, b * T + e.length));
    return { states, mask: tf.tensor2d(mask, [B, T], 'int32'), examples: exs };
  }
}
