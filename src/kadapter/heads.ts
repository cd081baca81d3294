// The math of the knowledge heads that pre-train the adapters (SPEC §7); each task's head is its
// module's (src/tasks/knowledge):
//   features  f = fuse([h_L ; adapter_out])   (the official code's task dense; h_L alone when the
//                                              base itself is trained, as in the multi-task baseline)
//   factual   relation logits = out([f@ ; f#]) pooled at the first "@" (subject) and first "#" (object)
//   linguistic head scores s[i, j] = (f_i Wq) · (f_j Wk) / √d over candidate positions j: the start
//             token (ROOT) and every word's first subword; labels sit on first subwords only.
import * as tf from '@tensorflow/tfjs';
import type { Linear } from './encoder-weights.ts';
import { linear } from './layers.ts';

/** [B, T, H] features for the head: h_L alone, or fused with an adapter's output through `fuse` [2H, H]. */
export function headFeatures(fuse: Linear | null, hLast: tf.Tensor3D, adapterOut?: tf.Tensor3D): tf.Tensor3D {
  if (!fuse) return hLast;
  if (!adapterOut) throw new Error('this head fuses an adapter output; none was given');
  return linear(tf.concat([hLast, adapterOut], -1), fuse) as tf.Tensor3D;
}

/** Rows of f [B, T, H] at one position per example → [B, H]. */
export function gatherPositions(f: tf.Tensor3D, positions: tf.Tensor1D): tf.Tensor2D {
  const [B, T, H] = f.shape;
  const flat = tf.range(0, B, 1, 'int32').mul(tf.scalar(T, 'int32')).add(positions) as tf.Tensor1D;
  return tf.gather(f.reshape([B * T, H]), flat) as tf.Tensor2D;
}

/** Head scores [B, T, T]: row i = where word i's head is; non-candidate columns at -1e9. */
export function dependencyScores(query: Linear, key: Linear, f: tf.Tensor3D, candidates: tf.Tensor2D): tf.Tensor3D {
  const q = linear(f, query) as tf.Tensor3D;
  const k = linear(f, key) as tf.Tensor3D;
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
