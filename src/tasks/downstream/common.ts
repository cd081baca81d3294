// What the downstream tasks' modules share: counting skips, words, a softmax head's targets, loss
// and argmax, and the leakage check's files of a built set.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from '../../kadapter/heads.ts';
import type { Skips } from '../../kadapter/examples.ts';
import type { IdFiles, TaskExample } from './registry.ts';

export const count = (skips: Skips, reason: string) => (skips[reason] = (skips[reason] ?? 0) + 1);

export const words = (s: string) => s.split(/\s+/).filter((w) => w.length > 0);

/** One label per prediction (each position's, in order); an unseen label is -1 (no loss). */
export const labelIndices = (examples: TaskExample[], index: ReadonlyMap<string, number>): tf.Tensor =>
  tf.tensor1d(
    examples.flatMap((e) => e.gold.map((g) => index.get(g) ?? -1)),
    'int32',
  );

export const softmaxLoss = (logits: tf.Tensor2D, targets: tf.Tensor): tf.Scalar =>
  crossEntropy(logits, targets as tf.Tensor1D);

/** The label of each row's largest logit. */
export const argmaxLabels = (logits: number[][], labels: string[]): string[] =>
  logits.map((r) => labels[r.indexOf(Math.max(...r))]!);

/** The `<split>.jsonl` of a built set's folder, read for its rows' sentence ids. */
export const builtSplitIds = (dir: string, split: string): IdFiles => ({
  files: [path.join(dir, `${split}.jsonl`)],
  id: 'sentence_id',
});
