// The metrics of each downstream task from its predictions, as the papers report them.
import {
  accuracy,
  accuracyOf,
  looseMacro,
  looseMicroOf,
  relationCounts,
  relationMicroOf,
  typingCounts,
  looseMicro,
  relationMacroF1,
  relationMicro,
  strictAccuracy,
  typingPredictions,
} from '../util/metrics.ts';
import type { Outputs } from './task-layers.ts';
import type { TaskExample, DownstreamTask } from './tasks.ts';

export type Scores = Record<string, number>;

/** The metric a task is ranked by (dev model selection, tables, bootstrap). */
export const MAIN_METRIC: Record<DownstreamTask, string> = {
  'entity-typing': 'looseMicroF1',
  relation: 'microF1',
  pos: 'accuracy',
};

export function scoreTask(
  task: DownstreamTask,
  labels: string[],
  examples: readonly Pick<TaskExample, 'gold'>[],
  out: Outputs,
  idx?: number[],
): Scores {
  const pick = <T>(xs: T[]) => (idx ? idx.map((i) => xs[i]!) : xs);
  const gold = pick(examples.map((e) => e.gold));
  if (task === 'entity-typing') {
    const logits = pick(out.logits!);
    const open = typingPredictions(logits, labels, false);
    const figer = typingPredictions(logits, labels, true);
    const micro = looseMicro(gold, open);
    return {
      looseMicroP: micro.precision,
      looseMicroR: micro.recall,
      looseMicroF1: micro.f1,
      figerStrictAccuracy: strictAccuracy(gold, figer),
      figerLooseMacroF1: looseMacro(gold, figer).f1,
      figerLooseMicroF1: looseMicro(gold, figer).f1,
    };
  }
  const pred = pick(out.predicted!);
  if (task === 'relation') {
    const g = gold.map((x) => x[0]!);
    const p = pred.map((x) => x[0]!);
    const m = relationMicro(g, p);
    return { microP: m.precision, microR: m.recall, microF1: m.f1, macroF1: relationMacroF1(g, p) };
  }
  return { accuracy: accuracy(gold.flat(), pred.flat()) };
}

/**
 * A task's main metric as totals over examples: `k` counts per example (typing |p∩g|, |p|, |g|;
 * relations correct, guessed, actual; POS correct and all words of a sentence) and the metric
 * from their sums. On any resample it equals scoreTask's main metric exactly (sums of integers),
 * so the bootstrap adds counts instead of scoring every output again.
 */
export interface MetricCounts {
  k: number;
  /** [n × k], example by example. */
  counts: Float64Array;
  of(totals: number[]): number;
}

export function mainMetricCounts(
  task: DownstreamTask,
  labels: string[],
  examples: readonly Pick<TaskExample, 'gold'>[],
  out: Outputs,
): MetricCounts {
  const k = task === 'pos' ? 2 : 3;
  const counts = new Float64Array(examples.length * k);
  const put = (i: number, xs: number[]) => counts.set(xs, i * k);
  if (task === 'entity-typing') {
    const pred = typingPredictions(out.logits!, labels, false);
    examples.forEach((e, i) => put(i, typingCounts(e.gold, pred[i]!)));
    return { k, counts, of: ([o, p, a]) => looseMicroOf(o!, p!, a!).f1 };
  }
  const pred = out.predicted!;
  if (task === 'relation') {
    examples.forEach((e, i) => put(i, relationCounts(e.gold[0]!, pred[i]![0]!)));
    return { k, counts, of: ([c, g, a]) => relationMicroOf(c!, g!, a!).f1 };
  }
  examples.forEach((e, i) => put(i, [e.gold.filter((g, j) => g === pred[i]![j]).length, e.gold.length]));
  return { k, counts, of: ([c, n]) => accuracyOf(c!, n!) };
}

/** The metric on the examples idx (with repeats) from their counts. */
export function metricOn(m: MetricCounts, idx: readonly number[]): number {
  const totals = new Array<number>(m.k).fill(0);
  for (const i of idx) for (let j = 0; j < m.k; j++) totals[j]! += m.counts[i * m.k + j]!;
  return m.of(totals);
}
