// Frozen-protocol features. Base and adapters are frozen, and the task layers only read the
// vectors at the pooled positions, so each example's vectors — h_L of the base and each adapter's
// output there — are computed once and every row, seed and data size trains on them.
// (Position-wise combination commutes with pooling: combining after pooling is exact.)
import * as tf from '@tensorflow/tfjs';
import { adapterForward, type AdapterConfig, type AdapterWeights } from '../kadapter/adapter.ts';
import type { BaseModel } from '../kadapter/base-model.ts';
import { encodeSequences } from '../kadapter/encoder.ts';
import { lengthBatches } from '../kadapter/tokenizer.ts';
import { offsetsOf } from '../util/offsets.ts';
import { progress } from '../util/progress.ts';
import type { TaskExample } from './tasks.ts';

export interface FrozenAdapter {
  name: string;
  config: AdapterConfig;
  weights: AdapterWeights;
}

/** Per component (`base`, then each adapter by name), the pooled vectors [positions, H] in example order. */
export interface PooledSet {
  hidden: number;
  /** Start of each example's positions in the flat arrays. */
  offsets: number[];
  components: Record<string, Float32Array>;
}

export async function poolFeatures(base: BaseModel, adapters: FrozenAdapter[], examples: TaskExample[], label: string, batchTokens = 4096): Promise<PooledSet> {
  const H = base.config.hidden;
  const L = base.config.layers;
  const { offsets, total } = offsetsOf(examples.map((e) => e.positions.length));
  const components: Record<string, Float32Array> = { base: new Float32Array(total * H) };
  for (const a of adapters) components[a.name] = new Float32Array(total * H);
  const bar = progress(label, examples.length, 'examples');
  let done = 0;
  for (const idx of lengthBatches(examples.map((e) => e.ids.length), batchTokens)) {
    const outs = tf.tidy(() => {
      const { states, mask, T } = encodeSequences(base.weights, base.config, idx.map((i) => examples[i]!.ids), base.tokenizer.padId);
      const flat: number[] = [];
      idx.forEach((i, b) => examples[i]!.positions.forEach((p) => flat.push(b * T + p)));
      const at = tf.tensor1d(flat, 'int32');
      const pick = (x: tf.Tensor3D) => tf.gather(x.reshape([-1, H]), at);
      return [pick(states[L]!), ...adapters.map((a) => pick(adapterForward(a.weights, a.config, states, mask)))];
    });
    const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(outs);
    const names = ['base', ...adapters.map((a) => a.name)];
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
