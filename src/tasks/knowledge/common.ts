// What the knowledge tasks' modules share: the errors for missing or empty data, and formatting.
import * as tf from '@tensorflow/tfjs';
import type { Linear } from '../../kadapter/encoder-weights.ts';
import { UserError } from '../../util/errors.ts';
import type { KnowledgeData } from './registry.ts';

export const buildMissing = (what: string, dir: string, profile: string): UserError =>
  new UserError(`no ${what} data in ${dir}: run \`npm run pipeline:build-data -- --profile ${profile}\` first`);

/** The data, or a clear error naming the split that has no usable example. */
export function nonEmpty<D extends KnowledgeData>(name: string, data: D): D {
  for (const split of ['train', 'dev'] as const) {
    if (data.splits[split].length === 0)
      throw new UserError(
        `${name}: the ${split} split has no usable example (read ${data.read[split] ?? 0}; skipped ${JSON.stringify(data.skips[split])})`,
      );
  }
  return data;
}

/** A score in percent with two decimals; '' where the metrics lack it. */
export const pct = (x: number | undefined): string => (x === undefined ? '' : (100 * x).toFixed(2));

export const tensorPair = (a: number[], b: number[]): [tf.Tensor1D, tf.Tensor1D] => [
  tf.tensor1d(a, 'int32'),
  tf.tensor1d(b, 'int32'),
];

/** A linear layer's weights under its saved names (`<name>.w`, `<name>.b`). */
export const linearVariables = (name: string, l: Linear): Record<string, tf.Variable> => ({
  [`${name}.w`]: l.w as tf.Variable,
  [`${name}.b`]: l.b as tf.Variable,
});

/** The linear layer saved under `name` among a head's weights. */
export function linearOf(weights: Record<string, tf.Variable>, name: string): Linear {
  const w = weights[`${name}.w`];
  const b = weights[`${name}.b`];
  if (!w || !b) throw new Error(`the head has no ${name} layer`);
  return { w: w as tf.Tensor as tf.Tensor2D, b: b as tf.Tensor as tf.Tensor1D };
}
