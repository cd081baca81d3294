// The vectors the task layers read: h_L of the base and each component's output at the pooled
// positions. Live (liveSource) they come from a forward pass, through a trainable base under
// `finetune`. Frozen (poolFeatures): base and adapters are frozen, so each example's vectors are
// computed once and every row, seed and data size trains on them.
// (Position-wise combination commutes with pooling: combining after pooling is exact.)
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { baseWeightsSha256, type BaseModel } from '../kadapter/base-model.ts';
import { encodeSequences } from '../kadapter/encoder.ts';
import type { EncoderWeights } from '../kadapter/encoder-weights.ts';
import { BASE_KEY, type ComponentVectors } from './components.ts';
import { lengthBatches } from '../kadapter/tokenizer.ts';
import { yieldToEventLoop } from '../util/interrupt.ts';
import { writeFileAtomic } from '../util/jsonl.ts';
import { hashOf } from '../util/manifest.ts';
import { offsetsOf } from '../util/offsets.ts';
import { progress } from '../util/progress.ts';
import type { TaskExample } from '../tasks/downstream/index.ts';

/** Where a batch's vectors come from. */
export interface RowSource {
  examples: TaskExample[];
  hidden: number;
  /** [P, H] per component (`base` and the named adapters) for the chosen examples, and positions per example. */
  rows(idx: number[], names: string[]): { rows: Record<string, tf.Tensor2D>; perExample: number[] };
}

/** Per component (`base`, then each component by key), the pooled vectors [positions, H] in example order. */
export interface PooledSet {
  hidden: number;
  /** Start of each example's positions in the flat arrays. */
  offsets: number[];
  components: Record<string, Float32Array>;
}

/**
 * Vectors computed live: h_L of the base — its own weights, or a trainable copy under `finetune`,
 * where the gradient flows through the frozen adapters into it — and each component's output, at
 * the pooled positions.
 */
export function liveSource(
  base: BaseModel,
  components: ComponentVectors[],
  examples: TaskExample[],
  weights: EncoderWeights = base.weights,
): RowSource {
  const H = base.config.hidden;
  return {
    examples,
    hidden: H,
    rows(idx, names) {
      const { states, mask, T } = encodeSequences(
        weights,
        base.config,
        idx.map((i) => examples[i]!.ids),
        base.tokenizer.padId,
      );
      const flat: number[] = [];
      idx.forEach((i, b) => examples[i]!.positions.forEach((p) => flat.push(b * T + p)));
      const at = tf.tensor1d(flat, 'int32');
      const pick = (x: tf.Tensor3D) => tf.gather(x.reshape([-1, H]), at) as tf.Tensor2D;
      const rows: Record<string, tf.Tensor2D> = {};
      for (const name of names) {
        if (name === BASE_KEY) rows[name] = pick(states[base.config.layers]!);
        else {
          const c = components.find((x) => x.key === name);
          if (!c) throw new Error(`no component "${name}" for the live features`);
          rows[name] = pick(c.forward(states, mask));
        }
      }
      return { rows, perExample: idx.map((i) => examples[i]!.positions.length) };
    },
  };
}

/**
 * Where pooled vectors are kept between stages: one file per (base weights, component, examples),
 * named by the hash of the three, so evaluate and ablate, every row, seed and variant, compute each
 * component's vectors once. Files are written whole (atomically) and named by what they depend on:
 * the code's format (POOLED_FORMAT), the backend, the base's weights, the component's content and
 * the examples. `--force` recomputes and rewrites them.
 */
export interface PooledCache {
  dir: string;
  /** Compute everything afresh (`--force`) and write it over what is there. */
  refresh?: boolean;
}

/**
 * Bumped whenever the numbers a component computes change (the encoder's or an adapter's maths):
 * vectors of older code are then never read.
 */
const POOLED_FORMAT = 1;

/** The file of one component's vectors for these examples, on this backend. */
function cacheFile(cache: PooledCache, base: BaseModel, identity: string, examplesHash: string): string {
  const key = {
    format: POOLED_FORMAT,
    backend: tf.getBackend(),
    base: baseWeightsSha256(base),
    identity,
    examples: examplesHash,
  };
  return path.join(cache.dir, `${hashOf(key)}.f32`);
}

/** A cached component's vectors, or null when absent or not the expected size (then recomputed). */
function readCached(file: string, values: number): Float32Array | null {
  if (!fs.existsSync(file)) return null;
  const buf = fs.readFileSync(file);
  if (buf.byteLength !== values * 4) return null;
  return new Float32Array(buf.buffer, buf.byteOffset, values);
}

export async function poolFeatures(
  base: BaseModel,
  components: ComponentVectors[],
  examples: TaskExample[],
  label: string,
  o: { batchTokens?: number; cache?: PooledCache } = {},
): Promise<PooledSet> {
  const H = base.config.hidden;
  const { offsets, total } = offsetsOf(examples.map((e) => e.positions.length));
  const names = [BASE_KEY, ...components.map((c) => c.key)];
  const identity = (n: string) => (n === BASE_KEY ? BASE_KEY : components.find((c) => c.key === n)!.identity);
  const examplesHash = o.cache ? hashOf(examples.map((e) => [e.ids, e.positions])) : '';
  const files = Object.fromEntries(
    names.map((n) => [n, o.cache ? cacheFile(o.cache, base, identity(n), examplesHash) : null]),
  );
  const pooled: Record<string, Float32Array> = {};
  for (const n of names) {
    const cached = files[n] && !o.cache?.refresh ? readCached(files[n], total * H) : null;
    if (cached) pooled[n] = cached;
  }
  const missing = names.filter((n) => !pooled[n]);
  if (missing.length === 0) {
    process.stderr.write(`kadapter: ${label}: ${names.length} components' vectors from the pooled cache\n`);
    return { hidden: H, offsets, components: pooled };
  }
  for (const n of missing) pooled[n] = new Float32Array(total * H);
  const live = liveSource(base, components, examples);
  const bar = progress(`${label} (${missing.length} of ${names.length} components)`, examples.length, 'examples');
  let done = 0;
  for (const idx of lengthBatches(
    examples.map((e) => e.ids.length),
    o.batchTokens ?? 4096,
  )) {
    const outs = tf.tidy(() => {
      const { rows } = live.rows(idx, missing);
      return missing.map((n) => rows[n]!);
    });
    const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(outs);
    let row = 0;
    for (const i of idx) {
      const n = examples[i]!.positions.length;
      missing.forEach((name, c) => pooled[name]!.set(values[c]!.subarray(row * H, (row + n) * H), offsets[i]! * H));
      row += n;
    }
    done += idx.length;
    bar.update(done);
    await yieldToEventLoop(); // between batches: a signal stops pooling here
  }
  bar.stop();
  for (const n of missing) {
    const file = files[n];
    if (file) writeFileAtomic(file, Buffer.from(pooled[n]!.buffer, pooled[n]!.byteOffset, pooled[n]!.byteLength));
  }
  return { hidden: H, offsets, components: pooled };
}

/** Pooled features as a row source: the chosen examples' rows of every component, copied out. */
export function pooledSource(examples: TaskExample[], pooled: PooledSet): RowSource {
  const H = pooled.hidden;
  return {
    examples,
    hidden: H,
    rows(idx, names) {
      const perExample = idx.map((i) => examples[i]!.positions.length);
      const P = perExample.reduce((a, b) => a + b, 0);
      const rows: Record<string, tf.Tensor2D> = {};
      for (const name of names) {
        const src = pooled.components[name];
        if (!src) throw new Error(`pooled features lack the component "${name}"`);
        const buf = new Float32Array(P * H);
        let at = 0;
        idx.forEach((i, k) => {
          const o = pooled.offsets[i]! * H;
          buf.set(src.subarray(o, o + perExample[k]! * H), at);
          at += perExample[k]! * H;
        });
        rows[name] = tf.tensor2d(buf, [P, H]);
      }
      return { rows, perExample };
    },
  };
}

/** A source restricted to some of its examples (a smaller training set). */
export function subsetSource(src: RowSource, idx: number[]): RowSource {
  return {
    examples: idx.map((i) => src.examples[i]!),
    hidden: src.hidden,
    rows: (chosen, names) =>
      src.rows(
        chosen.map((k) => idx[k]!),
        names,
      ),
  };
}
