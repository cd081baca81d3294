// The frozen base encoder (BERT and RoBERTa families): embeddings, then L transformer layers,
// returning every layer's hidden states — index 0 is the embedding output, as in HF's
// `output_hidden_states`. Dropout is absent: the base only ever runs in inference mode here.
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.ts';
import { maxSequenceLength, type EncoderConfig } from './encoder-config.ts';
import type { EncoderWeights } from './encoder-weights.ts';
import { attentionBias, layerNorm, transformerLayer } from './layers.ts';
import { padBatch } from './tokenizer.ts';

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
  if (c.positionOffset === 0)
    return tf.tidy(() => tf.range(0, T, 1, 'int32').expandDims(0).tile([B, 1]) as tf.Tensor2D);
  return tf.tidy(() => {
    const notPad = ids.notEqual(c.padTokenId).toInt();
    return tf.cumsum(notPad, 1).mul(notPad).add(tf.scalar(c.padTokenId, 'int32')) as tf.Tensor2D;
  });
}

export function embed(w: EncoderWeights, c: EncoderConfig, batch: EncoderBatch): tf.Tensor3D {
  return tf.tidy(() => {
    const types = batch.typeIds ?? tf.zerosLike(batch.ids);
    const x = tf
      .gather(w.word, batch.ids)
      .add(tf.gather(w.position, positionIds(batch.ids, c)))
      .add(tf.gather(w.tokenType, types));
    return layerNorm(x, w.embNorm, c.layerNormEps) as tf.Tensor3D;
  });
}

/** Id sequences padded into one batch and encoded: the hidden states and the [B, T] mask. */
export function encodeSequences(
  w: EncoderWeights,
  c: EncoderConfig,
  seqs: number[][],
  padId: number,
  upTo = c.layers,
): { states: tf.Tensor3D[]; mask: tf.Tensor2D; T: number } {
  const { ids, mask, B, T } = padBatch(seqs, padId);
  const maskT = tf.tensor2d(mask, [B, T], 'int32');
  const idsT = tf.tensor2d(ids, [B, T], 'int32');
  const states = encode(w, c, { ids: idsT, mask: maskT }, upTo);
  idsT.dispose();
  return { states, mask: maskT, T };
}

/** All hidden states [L + 1] × [B, T, H]; `upTo` stops after that layer (for adapters that read fewer). */
export function encode(w: EncoderWeights, c: EncoderConfig, batch: EncoderBatch, upTo = c.layers): tf.Tensor3D[] {
  const T = batch.ids.shape[1];
  if (T > maxSequenceLength(c)) {
    throw new UserError(
      `a sequence of ${T} tokens is longer than the model's ${maxSequenceLength(c)} positions; encode words with a maxLength to cut them explicitly`,
    );
  }
  const bias = attentionBias(batch.mask);
  const states = [embed(w, c, batch)];
  // One tidy per layer: a layer's intermediates (scores, FFN activations) are freed before the
  // next starts, so peak memory is one layer's work plus the kept states, not all layers' work.
  for (let i = 0; i < upTo; i++)
    states.push(tf.tidy(() => transformerLayer(states[i]!, w.layers[i]!, c.heads, bias, c.layerNormEps)));
  bias.dispose();
  return states;
}
