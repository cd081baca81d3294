// The metrics of a downstream task's predictions, as the task scores them (src/tasks/downstream),
// on all of a split's examples or the chosen ones, and its main metric on a resample from counts.
import { downstreamTask, type MetricCounts, type Scores, type TaskExample } from '../tasks/downstream/index.ts';
import type { Outputs } from './task-layers.ts';

export type { MetricCounts, Scores };

export function scoreTask(
  task: string,
  labels: string[],
  examples: readonly Pick<TaskExample, 'gold'>[],
  out: Outputs,
  idx?: number[],
): Scores {
  const pick = <T>(xs: T[]) => (idx ? idx.map((i) => xs[i]!) : xs);
  return downstreamTask(task).score(labels, pick(examples.map((e) => e.gold)), pick(out));
}

/** The task's main metric as counts per example (see MetricCounts): the bootstrap's. */
export const mainMetricCounts = (
  task: string,
  labels: string[],
  examples: readonly Pick<TaskExample, 'gold'>[],
  out: Outputs,
): MetricCounts =>
  downstreamTask(task).mainMetricCounts(
    labels,
    examples.map((e) => e.gold),
    out,
  );

/** The metric on the examples idx (with repeats) from their counts. */
export function metricOn(m: MetricCounts, idx: readonly number[]): number {
  const totals = new Array<number>(m.k).fill(0);
  for (const i of idx) for (let j = 0; j < m.k; j++) totals[j]! += m.counts[i * m.k + j]!;
  return m.of(totals);
}
