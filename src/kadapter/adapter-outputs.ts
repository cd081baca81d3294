// An adapter's head logits on encoded examples, computed from the base directly (no cache):
// what a loaded adapter folder does for a user.
import * as tf from '@tensorflow/tfjs';
import type { EncodedExample } from '../data/schemas.ts';
import { UserError } from '../util/errors.ts';
import type { LoadedAdapter } from './adapter-files.ts';
import type { BaseModel } from './base-model.ts';
import { encodeSequences } from './encoder.ts';
import { forwardBatch, type AdapterRunSpec } from './forward.ts';

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

export function adapterOutputsOn(base: BaseModel, a: LoadedAdapter, examples: EncodedExample[]): tf.Tensor {
  if (!a.head) throw new UserError(`adapter ${a.config.name} has no knowledge head (imported without one)`);
  const spec: AdapterRunSpec = {
    task: a.config.task,
    adapter: a.adapter,
    head: a.head,
    lastLayer: a.config.lastLayer,
    seed: 0,
  };
  return tf.tidy(() => forwardBatch(a.model, spec, liveBatch(base, examples)));
}
