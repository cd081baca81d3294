// The summary a finished training run leaves behind (summary.json), read back by the train stage.
import { z } from 'zod';
import { DevMetrics } from './dev-eval.ts';

const count = z.number().int().min(0);

/** <build>/runs/<adapter>/seed-N/summary.json: what the train stage reads back of a finished run. */
export const TrainRunSummary = z.looseObject({
  adapter: z.string(),
  seed: z.number().int(),
  seconds: z.number().min(0),
  dev: DevMetrics,
  /** Trained parameters: the adapter's and its head's, or (multi-task) the base's. */
  parameters: z.looseObject({ adapter: count.optional(), base: count.optional() }),
  /** Trivial scores on the same dev set (their loss is not defined: null). */
  baselines: z.record(z.string(), DevMetrics.extend({ loss: z.number().nullable() })).optional(),
});
export type TrainRunSummary = z.infer<typeof TrainRunSummary>;
