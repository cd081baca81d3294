// The building blocks shared by the base encoder and the adapters: plain functions over named
// weights. x is always [B, T, D]; masks are [B, T] of 1 (token) and 0 (padding).
import * as tf from '@tensorflow/tfjs';
import type { EncoderLayerWeights, LayerNorm, Linear } from './encoder-weights.ts';

/** y = x W + b over the last axis. */
export function linear(x: tf.Tensor, l: Linear): tf.Tensor {
  const shape = x.shape;
  const flat = x.reshape([-1, shape[shape.length - 1]!]) as tf.Tensor2D;
  const y = tf.fused.matMul({ a: flat, b: l.w, bias: l.b });
  return y.reshape([...shape.slice(0, -1), l.w.shape[1]]);
}

export function layerNorm(x: tf.Tensor, n: LayerNorm, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x
    .sub(mean)
    .mul(tf.rsqrt(variance.add(eps)))
    .mul(n.gamma)
    .add(n.beta);
}

/** The exact GELU of BERT and RoBERTa: x · Φ(x) with the error function, not the tanh fit. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);
}

/** Additive attention bias from a [B, T] mask: 0 where attended, a large negative at pads. */
export function attentionBias(mask: tf.Tensor2D): tf.Tensor4D {
  const [B, T] = mask.shape;
  return tf.scalar(1).sub(mask.toFloat()).mul(-1e9).reshape([B, 1, 1, T]);
}

/**
 * A batch's real tokens as rows: position-wise layers (dense, LayerNorm, GELU) then skip the
 * padding, which is most of a batch of random lengths. `rows` [N] are the real positions of the
 * flattened [B·T]; `positions` [B·T] gives each position its row, padding the zero row N.
 */
export interface Packing {
  B: number;
  T: number;
  N: number;
  rows: tf.Tensor1D;
  positions: tf.Tensor1D;
}

export function packingOf(mask: tf.Tensor2D): Packing {
  const [B, T] = mask.shape;
  const m = mask.dataSync();
  const rows: number[] = [];
  for (let i = 0; i < B * T; i++) if (m[i]) rows.push(i);
  const positions = new Int32Array(B * T).fill(rows.length);
  rows.forEach((at, r) => (positions[at] = r));
  return { B, T, N: rows.length, rows: tf.tensor1d(rows, 'int32'), positions: tf.tensor1d(positions, 'int32') };
}

// Each is the other's gradient, so neither backpropagates through gather's segment sum, which the
// pure-JS backend runs in time quadratic in the rows. The index tensors are saved for the gradient
// (the engine keeps saved tensors past the tidy that made them).
const withZeroRow = (x: tf.Tensor) => tf.concat([x, tf.zeros([1, x.shape[1]!])]);
const packRows = (x2d: tf.Tensor, rows: tf.Tensor) => tf.gather(x2d, rows);
const unpackRows = (x2d: tf.Tensor, positions: tf.Tensor) => tf.gather(withZeroRow(x2d), positions);

function packOp(p: Packing, back: boolean) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x2d, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([p.rows, p.positions]);
    return {
      value: back ? unpackRows(x2d, p.positions) : packRows(x2d, p.rows),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => (back ? packRows(dy, saved[0]!) : unpackRows(dy, saved[1]!)),
    };
  });
}

/** [B, T, D] → [N, D], the real tokens' rows. */
export function pack(x: tf.Tensor, p: Packing): tf.Tensor2D {
  const D = x.shape[x.shape.length - 1]!;
  return packOp(p, false)(x.reshape([p.B * p.T, D])) as tf.Tensor2D;
}

/** [N, D] → [B, T, D], zeros at padding. */
export function unpack(x: tf.Tensor, p: Packing): tf.Tensor3D {
  return packOp(p, true)(x).reshape([p.B, p.T, x.shape[x.shape.length - 1]!]);
}

/**
 * Multi-head self-attention: [B, T, D] → [B, T, D] (before the output projection); with a packing,
 * [N, D] → [N, D], the attention itself run padded.
 */
export function selfAttention(
  x: tf.Tensor,
  w: EncoderLayerWeights,
  heads: number,
  bias: tf.Tensor4D,
  packing?: Packing,
): tf.Tensor {
  const [B, , , T] = bias.shape;
  const D = x.shape[x.shape.length - 1]!;
  const dh = D / heads;
  const split = (t: tf.Tensor) =>
    (packing ? unpack(t, packing) : t).reshape([B, T, heads, dh]).transpose([0, 2, 1, 3]) as tf.Tensor4D; // [B, h, T, dh]
  const q = split(linear(x, w.query));
  const k = split(linear(x, w.key));
  const v = split(linear(x, w.value));
  const scores = tf
    .matMul(q, k, false, true)
    .mul(1 / Math.sqrt(dh))
    .add(bias); // [B, h, T, T]
  const ctx = tf.matMul(tf.softmax(scores), v).transpose([0, 2, 1, 3]).reshape([B, T, D]); // [B, T, D]
  return packing ? pack(ctx, packing) : ctx;
}

/**
 * One post-LayerNorm transformer layer (BERT's): attention, add & norm, GELU FFN, add & norm.
 * x is [B, T, D], or [N, D] packed with `packing`; the output has x's shape.
 */
export function transformerLayer<X extends tf.Tensor3D | tf.Tensor2D>(
  x: X,
  w: EncoderLayerWeights,
  heads: number,
  bias: tf.Tensor4D,
  eps: number,
  packing?: Packing,
): X {
  const attn = layerNorm(linear(selfAttention(x, w, heads, bias, packing), w.attnOut).add(x), w.attnNorm, eps);
  const ffn = linear(gelu(linear(attn, w.ffnIn)), w.ffnOut);
  return layerNorm(ffn.add(attn), w.ffnNorm, eps) as X;
}
