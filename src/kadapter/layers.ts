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

/** Multi-head self-attention: [B, T, D] → [B, T, D] (before the output projection). */
export function selfAttention(x: tf.Tensor3D, w: EncoderLayerWeights, heads: number, bias: tf.Tensor4D): tf.Tensor3D {
  const [B, T, D] = x.shape;
  const dh = D / heads;
  const split = (t: tf.Tensor) => t.reshape([B, T, heads, dh]).transpose([0, 2, 1, 3]) as tf.Tensor4D; // [B, h, T, dh]
  const q = split(linear(x, w.query));
  const k = split(linear(x, w.key));
  const v = split(linear(x, w.value));
  const scores = tf
    .matMul(q, k, false, true)
    .mul(1 / Math.sqrt(dh))
    .add(bias); // [B, h, T, T]
  const ctx = tf.matMul(tf.softmax(scores), v); // [B, h, T, dh]
  return ctx.transpose([0, 2, 1, 3]).reshape([B, T, D]);
}

/** One post-LayerNorm transformer layer (BERT's): attention, add & norm, GELU FFN, add & norm. */
export function transformerLayer(
  x: tf.Tensor3D,
  w: EncoderLayerWeights,
  heads: number,
  bias: tf.Tensor4D,
  eps: number,
): tf.Tensor3D {
  const attn = layerNorm(linear(selfAttention(x, w, heads, bias), w.attnOut).add(x), w.attnNorm, eps);
  const ffn = linear(gelu(linear(attn, w.ffnIn)), w.ffnOut);
  return layerNorm(ffn.add(attn), w.ffnNorm, eps) as tf.Tensor3D;
}
