// The metrics of each downstream task from its predictions, as the papers report them.
import {
  accuracy,
  looseMacro,
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
