// The base's hidden states of encoded examples as a batch, computed directly (no cache): what a
// loaded adapter reads for a user, and what the multi-task base trains through.
import type * as tf from '@tensorflow/tfjs';
import type { EncodedExample } from '../data/schemas.ts';
import type { BaseModel } from './base-model.ts';
import { encodeSequences } from './encoder.ts';

/** Base hidden states of examples as a batch the adapter and head read. */
export function liveBatch(base: BaseModel, examples: EncodedExample[], weights = base.weights) {
  const { states, mask } = encodeSequences(
    weights,
    base.config,
    examples.map((e) => e.ids),
    base.tokenizer.padId,
  );
  return {
    states: states as (tf.Tensor3D | undefined)[],
    mask,
    examples: examples.map((e) => ({ ...e, offset: 0, length: e.ids.length })),
  };
}
