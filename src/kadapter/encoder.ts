// The frozen base encoder (BERT and RoBERTa families): embeddings, then L transformer layers,
// returning every layer's hidden states — index 0 is the embedding output, as in HF's
// `output_hidden_states`. Dropout is absent: the base only ever runs in inference mode here.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { maxSequenceLength, type EncoderConfig } from './encoder-config.ts';
import type { EncoderWeights } from './encoder-weights.ts';
import { attentionBias, layerNorm, transformerLayer } from './layers.ts';

export interface EncoderBatch {
  ids: tf.Tensor2D; // [B, T] int32
  mask: tf.Tensor2D; // [B, T] 1 = token, 0 = padding
  typeIds?: tf.Tensor2D; // [B, T] int32, zeros when absent
}

/**
 * Position ids. BERT: 0..T-1. RoBERTa: padTokenId + 1 + rank among non-pad tokens, and padTokenId
 * at pads (HF's create_position_ids_from_input_ids, which looks at the ids, not the mask).
 */
export function positionIds(ids: tf.Tensor2D, c: EncoderConfig): tf.Tensor2D {
  const [B, T] = ids.shape;
  if (c.positionOffset === 0) return tf.tidy(() => tf.range(0, T, 1, 'int32').expandDims(0).tile([B, 1]) as tf.Tensor2D);
  return tf.tidy(() => {
    const notPad = ids.notEqual(c.padTokenId).toInt();
    return tf.cumsum(notPad, 1).mul(notPad).add(tf.scalar(c.padTokenId, 'int32')) as tf.Tensor2D;
  });
}

export function embed(w: EncoderWeights, c: EncoderConfig, batch: EncoderBatch): tf.Tensor3D {
  return tf.tidy(() => {
    const types = batch.typeIds ?? tf.zerosLike(batch.ids);
    const x = tf.gather(w.word, batch.ids).add(tf.gather(w.position, positionIds(batch.ids, c))).add(tf.gather(w.tokenType, types));
    return layerNorm(x, w.embNorm, c.layerNormEps) as tf.Tensor3D;
  });
}

/** All hidden states [L + 1] × [B, T, H]; `upTo` stops after that layer (for adapters that read fewer). */
export function encode(w: EncoderWeights, c: EncoderConfig, batch: EncoderBatch, upTo = c.layers): tf.Tensor3D[] {
  const T = batch.ids.shape[1];
  if (T > maxSequenceLength(c)) {
    throw new UserError(`a sequence of ${T} tokens is longer than the model's ${maxSequenceLength(c)} positions; encode words with a maxLength to cut them explicitly`);
  }
  const bias = attentionBias(batch.mask);
  const states = [embed(w, c, batch)];
  // One tidy per layer: a layer's intermediates (scores, FFN activations) are freed before the
  // next starts, so peak memory is one layer's work plus the kept states, not all layers' work.
  for (let i = 0; i < upTo; i++) states.push(tf.tidy(() => transformerLayer(states[i]!, w.layers[i]!, c.heads, bias, c.layerNormEps)));
  bias.dispose();
  return states;
}
