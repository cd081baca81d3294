// The vectors the task layers read: h_L of the base and each adapter's output at the pooled
// positions. Live (liveSource) they come from a forward pass, through a trainable base under
// `finetune`. Frozen (poolFeatures): base and adapters are frozen, so each example's vectors are
// computed once and every row, seed and data size trains on them.
// (Position-wise combination commutes with pooling: combining after pooling is exact.)
import * as tf from '@tensorflow/tfjs';
import { adapterForward, type AdapterConfig, type AdapterWeights } from '../kadapter/adapter.ts';
import type { BaseModel } from '../kadapter/base-model.ts';
import { encodeSequences } from '../kadapter/encoder.ts';
import type { EncoderWeights } from '../kadapter/encoder-weights.ts';
import type { RowSource } from './probe.ts';
import { lengthBatches } from '../kadapter/tokenizer.ts';
import { offsetsOf } from '../util/offsets.ts';
import { progress } from '../util/progress.ts';
import type { TaskExample } from './tasks.ts';

export interface FrozenAdapter {
  name: string;
  config: AdapterConfig;
  weights: AdapterWeights;
  /** An ablation: adapter layer k's block dropped (see adapterForward). */
  knockout?: number;
  /** Where the weights came from, recorded with every run that uses them: a trained folder, or the random control's seed. */
  origin?: { dir: string } | { randomSeed: number };
}

/** Per component (`base`, then each adapter by name), the pooled vectors [positions, H] in example order. */
export interface PooledSet {
  hidden: number;
  /** Start of each example's positions in the flat arrays. */
  offsets: number[];
  components: Record<string, Float32Array>;
}

/**
 * Vectors computed live: h_L of the base — its own weights, or a trainable copy under `finetune`,
 * where the gradient flows through the frozen adapters into it — and each adapter's output, at the
 * pooled positions.
 */
export function liveSource(base: BaseModel, adapters: FrozenAdapter[], examples: TaskExample[], weights: EncoderWeights = base.weights): RowSource {
  const H = base.config.hidden;
  return {
    examples,
    hidden: H,
    rows(idx, names) {
      const { states, mask, T } = encodeSequences(weights, base.config, idx.map((i) => examples[i]!.ids), base.tokenizer.padId);
      const flat: number[] = [];
      idx.forEach((i, b) => examples[i]!.positions.forEach((p) => flat.push(b * T + p)));
      const at = tf.tensor1d(flat, 'int32');
      const pick = (x: tf.Tensor3D) => tf.gather(x.reshape([-1, H]), at) as tf.Tensor2D;
      const rows: Record<string, tf.Tensor2D> = {};
      for (const name of names) {
        if (name === 'base') rows.base = pick(states[base.config.layers]!);
        else {
          const a = adapters.find((x) => x.name === name);
          if (!a) throw new Error(`no adapter "${name}" for the live features`);
          rows[name] = pick(adapterForward(a.weights, a.config, states, mask, a.knockout));
        }
      }
      return { rows, perExample: idx.map((i) => examples[i]!.positions.length) };
    },
  };
}

export async function poolFeatures(base: BaseModel, adapters: FrozenAdapter[], examples: TaskExample[], label: string, batchTokens = 4096): Promise<PooledSet> {
  const H = base.config.hidden;
  const { offsets, total } = offsetsOf(examples.map((e) => e.positions.length));
  const names = ['base', ...adapters.map((a) => a.name)];
  const components: Record<string, Float32Array> = Object.fromEntries(names.map((n) => [n, new Float32Array(total * H)]));
  const live = liveSource(base, adapters, examples);
  const bar = progress(label, examples.length, 'examples');
  let done = 0;
  for (const idx of lengthBatches(examples.map((e) => e.ids.length), batchTokens)) {
    const outs = tf.tidy(() => {
      const { rows } = live.rows(idx, names);
      return names.map((n) => rows[n]!);
    });
    const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(outs);
    let row = 0;
    for (const i of idx) {
      const n = examples[i]!.positions.length;
      names.forEach((name, c) => components[name]!.set(values[c]!.subarray(row * H, (row + n) * H), offsets[i]! * H));
      row += n;
    }
    done += idx.length;
    bar.update(done);
  }
  bar.stop();
  return { hidden: H, offsets, components };
}
