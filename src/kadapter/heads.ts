// The knowledge heads that pre-train the adapters (SPEC §7).
//   features  f = fuse([h_L ; adapter_out])   (the official code's task dense; h_L alone when the
//                                              base itself is trained, as in the multi-task baseline)
//   factual   relation logits = out([f@ ; f#]) pooled at the first "@" (subject) and first "#" (object)
//   linguistic head scores s[i, j] = (f_i Wq) · (f_j Wk) / √d over candidate positions j: the start
//             token (ROOT) and every word's first subword; labels sit on first subwords only.
import * as tf from '@tensorflow/tfjs';
import type { HeadConfig, HeadKind } from '../data/files.ts';
import type { Linear } from './encoder-weights.ts';
import { Initializer, addLinear } from './adapter.ts';
import { linear } from './layers.ts';

/** head_config.json, typed with its schema in src/data/files.ts. */
export type { HeadConfig, HeadKind };

export interface HeadWeights {
  fuse?: Linear; // [2H, H]
  out?: Linear; // relation: [2H, R]
  query?: Linear; // dependency: [H, d]
  key?: Linear; // dependency: [H, d]
}

export function initHead(cfg: HeadConfig, seed: number): HeadWeights {
  const init = new Initializer(seed);
  const H = cfg.hidden;
  const w: HeadWeights = {};
  if (cfg.fuse) w.fuse = init.linear(2 * H, H, 0.02);
  if (cfg.kind === 'relation') {
    if (!cfg.labels?.length) throw new Error('a relation head needs its labels');
    w.out = init.linear(2 * H, cfg.labels.length, 0.02);
  } else {
    const d = cfg.scoreDim ?? 128;
    w.query = init.linear(H, d, 0.02);
    w.key = init.linear(H, d, 0.02);
  }
  return w;
}

export function namedHeadTensors(w: HeadWeights): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const key of ['fuse', 'out', 'query', 'key'] as const) if (w[key]) addLinear(out, key, w[key]);
  return out;
}

/** [B, T, H] features for the head. */
export function headFeatures(w: HeadWeights, hLast: tf.Tensor3D, adapterOut?: tf.Tensor3D): tf.Tensor3D {
  if (!w.fuse) return hLast;
  if (!adapterOut) throw new Error('this head fuses an adapter output; none was given');
  return linear(tf.concat([hLast, adapterOut], -1), w.fuse) as tf.Tensor3D;
}

/** Rows of f [B, T, H] at one position per example → [B, H]. */
export function gatherPositions(f: tf.Tensor3D, positions: tf.Tensor1D): tf.Tensor2D {
  const [B, T, H] = f.shape;
  const flat = tf.range(0, B, 1, 'int32').mul(tf.scalar(T, 'int32')).add(positions) as tf.Tensor1D;
  return tf.gather(f.reshape([B * T, H]), flat) as tf.Tensor2D;
}

/** Relation logits [B, R]. */
export function relationLogits(w: HeadWeights, f: tf.Tensor3D, subjPos: tf.Tensor1D, objPos: tf.Tensor1D): tf.Tensor2D {
  const pooled = tf.concat([gatherPositions(f, subjPos), gatherPositions(f, objPos)], -1);
  return linear(pooled, w.out!) as tf.Tensor2D;
}

/** Head scores [B, T, T]: row i = where word i's head is; non-candidate columns at -1e9. */
export function dependencyScores(w: HeadWeights, f: tf.Tensor3D, candidates: tf.Tensor2D): tf.Tensor3D {
  const q = linear(f, w.query!) as tf.Tensor3D;
  const k = linear(f, w.key!) as tf.Tensor3D;
  const d = q.shape[2];
  const [B, T] = candidates.shape;
  const maskBias = tf.scalar(1).sub(candidates.toFloat()).mul(-1e9).reshape([B, 1, T]);
  return tf
    .matMul(q, k, false, true)
    .mul(1 / Math.sqrt(d))
    .add(maskBias) as tf.Tensor3D;
}

/** Mean cross-entropy of logits [N, C] against int labels [N]; rows with label < 0 are ignored. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const C = logits.shape[1];
  const valid = labels.greaterEqual(0).toFloat();
  const onehot = tf.oneHot(tf.maximum(labels, tf.scalar(0, 'int32')) as tf.Tensor1D, C);
  const nll = onehot.mul(tf.logSoftmax(logits)).sum(-1).neg().mul(valid);
  return nll.sum().div(tf.maximum(valid.sum(), tf.scalar(1))) as tf.Scalar;
}
