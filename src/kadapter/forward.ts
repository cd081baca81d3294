// The knowledge-pretraining forward pass and losses: the adapter over the base's hidden states,
// then its knowledge head (relation logits, or dependency-head scores over positions).
import * as tf from '@tensorflow/tfjs';
import type { EncodedDependency, EncodedExample, EncodedRelation } from '../data/schemas.ts';
import { adapterForward, type AdapterConfig, type AdapterWeights } from './adapter.ts';
import type { FeatureCache } from './features.ts';
import {
  crossEntropy,
  dependencyScores,
  headFeatures,
  relationLogits,
  type HeadConfig,
  type HeadWeights,
} from './heads.ts';

/** The adapters' pre-training tasks (not the downstream tasks of src/eval). */
export type KnowledgeTask = 'relation' | 'dependency';

export interface AdapterRunSpec {
  task: KnowledgeTask;
  adapter: AdapterConfig;
  head: HeadConfig;
  /** Base layer whose states the head fuses with the adapter output (the last, L). */
  lastLayer: number;
  seed: number;
}

export interface TrainedModel {
  adapter: AdapterWeights;
  head: HeadWeights;
}

export type CachedBatch = ReturnType<FeatureCache['batch']>;

/**
 * Logits for a batch: relation [B, R], or dependency [B, T, T]. `realTokensOnly`: for a caller
 * that reads the logits of tokens only (adapterForward).
 */
export function forwardBatch(
  m: TrainedModel,
  spec: AdapterRunSpec,
  batch: CachedBatch,
  realTokensOnly = false,
): tf.Tensor {
  const a = adapterForward(m.adapter, spec.adapter, batch.states, batch.mask, [], realTokensOnly);
  return headLogits(m.head, spec.task, headFeatures(m.head, batch.states[spec.lastLayer]!, a), batch.examples);
}

/** A knowledge head's logits on features f [B, T, H] of the batch's examples. */
export function headLogits(
  head: HeadWeights,
  task: KnowledgeTask,
  f: tf.Tensor3D,
  examples: EncodedExample[],
): tf.Tensor {
  if (task === 'relation') {
    const exs = examples as EncodedRelation[];
    return relationLogits(
      head,
      f,
      tf.tensor1d(
        exs.map((e) => e.subj),
        'int32',
      ),
      tf.tensor1d(
        exs.map((e) => e.obj),
        'int32',
      ),
    );
  }
  return dependencyScores(head, f, candidateMask(examples as EncodedDependency[], f.shape[1]));
}

/** [B, T]: 1 at ROOT (position 0) and at every word's first subword. */
export function candidateMask(exs: EncodedDependency[], T: number): tf.Tensor2D {
  const m = new Int32Array(exs.length * T);
  exs.forEach((e, b) => {
    m[b * T] = 1;
    for (const p of e.firsts) m[b * T + p] = 1;
  });
  return tf.tensor2d(m, [exs.length, T], 'int32');
}

/** Per token position, the head position to predict (-1: no label). */
export function headLabels(exs: EncodedDependency[], T: number): Int32Array {
  const y = new Int32Array(exs.length * T).fill(-1);
  exs.forEach((e, b) => e.firsts.forEach((p, w) => (y[b * T + p] = e.heads[w]!)));
  return y;
}

export function lossFromLogits(task: KnowledgeTask, logits: tf.Tensor, examples: EncodedExample[]): tf.Scalar {
  if (task === 'relation') {
    const y = tf.tensor1d(
      (examples as EncodedRelation[]).map((e) => e.label),
      'int32',
    );
    return crossEntropy(logits as tf.Tensor2D, y);
  }
  const [B, T] = [logits.shape[0]!, logits.shape[1]!];
  const y = tf.tensor1d(headLabels(examples as EncodedDependency[], T), 'int32');
  return crossEntropy(logits.reshape([B * T, T]) as tf.Tensor2D, y);
}

export function batchLoss(m: TrainedModel, spec: AdapterRunSpec, batch: CachedBatch): tf.Scalar {
  // The loss reads tokens only: relation logits pool two tokens; dependency rows and candidate
  // columns are tokens (a padding row has no label, a padding column a bias of -1e9).
  return lossFromLogits(spec.task, forwardBatch(m, spec, batch, true), batch.examples);
}
