// reports/<profile>/results.json: the evaluation's results, validated when read back
// (`npm run report`, resumed sets).
import { z } from 'zod';
import { findDownstreamTask, SetProvenance } from '../tasks/downstream/index.ts';

const count = z.number().int().min(0);

const MeanStd = z.strictObject({ mean: z.number(), std: z.number() });

/** One row of a results table (a model and a combination), over seeds. */
export const RowResult = z.strictObject({
  key: z.string(),
  row: z.string(),
  label: z.string(),
  combine: z.string(),
  /** Replicates of the row's weights (adapter seeds, random draws); 1 for a row without. */
  replicates: count,
  /** Trainable parameters of the row's task layers. */
  parameters: count,
  test: z.record(z.string(), MeanStd),
  dev: z.record(z.string(), MeanStd),
  /** One entry a run: replicate × task seed. */
  perSeed: z.array(
    z.strictObject({
      replicate: z.number().int().optional(),
      seed: z.number().int(),
      test: z.record(z.string(), z.number()),
      dev: z.record(z.string(), z.number()),
      bestEpoch: z.number().int(),
      epochsRun: z.number().int(),
      seconds: z.number(),
    }),
  ),
  seconds: z.number(),
});
export type RowResult = z.infer<typeof RowResult>;

/** A paired-bootstrap interval of a difference (src/util/metrics.ts). */
export const Interval = z.strictObject({ diff: z.number(), low: z.number(), high: z.number(), pBelowZero: z.number() });

/** Row key b minus row key a, with its interval. */
export const Comparison = Interval.extend({ a: z.string(), b: z.string() });
export type Comparison = z.infer<typeof Comparison>;

/** A task's rows scored on its verified set (src/eval/verified.ts), from the runs' test predictions. */
export const VerifiedResult = z.strictObject({
  /** The set's folder, relative to the repository. */
  set: z.string(),
  judged: count,
  keep: count,
  correct: count,
  drop: count,
  /** Kept or corrected examples that the evaluated test sample does not hold (not scored). */
  notInTestSample: count,
  /** Examples scored. */
  examples: count,
  /** Automatic labels the judge kept, of those kept or corrected. */
  agreement: z.number(),
  /** Each row key's main metric against the verified gold and, on the same examples, the automatic gold. */
  rows: z.array(z.strictObject({ key: z.string(), verified: MeanStd, automatic: MeanStd })),
  /** F+L against each reference on the verified gold, by the reference's row key. */
  bootstrap: z.record(z.string(), Comparison),
});
export type VerifiedResult = z.infer<typeof VerifiedResult>;

/**
 * The label noise to expect of a set: measured where a person judged a sample of its kind
 * (datasets/verified: the share of fair test examples whose automatic label was wrong, and the
 * share dropped as no fair test), else unmeasured.
 */
export const SetNoise = z.discriminatedUnion('measured', [
  z.strictObject({
    measured: z.literal(true),
    mislabelled: z.number().min(0).max(1),
    dropped: z.number().min(0).max(1),
    judged: count,
    /** The judged set's folder, relative to the repository. */
    by: z.string(),
  }),
  z.strictObject({ measured: z.literal(false) }),
]);
export type SetNoise = z.infer<typeof SetNoise>;

/** A downstream set as the report names it. */
export const SetInfo = z.strictObject({ name: z.string(), provenance: SetProvenance, noise: SetNoise });
export type SetInfo = z.infer<typeof SetInfo>;

export const TaskResult = z.strictObject({
  task: z.string(),
  set: SetInfo,
  /** The set's folder, relative to the repository. */
  source: z.string(),
  metric: z.string(),
  labels: count,
  examples: z.record(z.string(), count),
  skipped: z.record(z.string(), z.record(z.string(), count)),
  droppedAsSeenInPretraining: z.record(z.string(), count),
  /** The same rows per split and source. */
  droppedBySource: z.record(z.string(), z.record(z.string(), count)),
  /** Examples kept per split and source, after the seeded caps. */
  sourceMix: z.record(z.string(), z.record(z.string(), count)),
  /** Rows read per split and the cap applied. */
  sampled: z.record(z.string(), z.strictObject({ read: count, cap: count.nullable() })),
  unseenTestLabels: z.record(z.string(), count),
  poolSeconds: z.number(),
  rows: z.array(RowResult),
  /** The combination of F+L chosen on dev (mean dev score), which the comparisons use. */
  chosenCombine: z.string().nullable(),
  /** Paired bootstrap intervals (test examples and runs) of F+L against each reference, by the reference's row key. */
  bootstrap: z.record(z.string(), Comparison),
  /** Share of runs whose best dev epoch came before their last epoch (the task layers converged). */
  bestBeforeLast: z.number(),
  efficiency: z.array(z.strictObject({ row: z.string(), perRelation: z.string(), mean: z.number(), std: z.number() })),
  /** The rows on the task's verified set, where one is committed. */
  verified: VerifiedResult.optional(),
});
export type TaskResult = z.infer<typeof TaskResult>;

/** A set that was not evaluated: its folder is not built, or a split has no usable example. */
export const NotEvaluated = z.strictObject({
  task: z.string(),
  set: SetInfo,
  source: z.string(),
  reason: z.string(),
});
export type NotEvaluated = z.infer<typeof NotEvaluated>;

const CurrentResults = z.strictObject({
  profile: z.string(),
  protocol: z.string(),
  base: z.record(z.string(), z.unknown()),
  backend: z.string(),
  adapters: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()),
  /** config.eval.replicateSeeds when it ran (results from before the setting: every replicate with every seed). */
  replicateSeeds: z.enum(['all', 'paired']).default('all'),
  /**
   * Each evaluated set, in order, keyed by its task for the task's first set (the key results had
   * when a task had one set) and by `<task>@<set>` for the others; runs/<key>/ holds its runs.
   */
  tasks: z.record(z.string(), TaskResult),
  /** The sets not evaluated, under the same keys, with the reason. */
  notEvaluated: z.record(z.string(), NotEvaluated),
  /** The leakage check on sentence ids (src/eval/leakage.ts): one line per leaking pair, or that nothing leaks. */
  leakage: z.strictObject({ leaks: count, lines: z.array(z.string()) }),
  startedAt: z.string(),
  finishedAt: z.string(),
  seconds: z.number(),
  /** The sets this run read back from an earlier evaluation (their inputs unchanged) instead of computing. */
  readBack: z.array(z.string()).optional(),
  /** The sets a second evaluate process beside this one computed in the same run (`pipeline` on two cores). */
  evaluatedBeside: z.array(z.string()).optional(),
});

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The one set of a task in a results.json written before a task had several: named from its folder. */
function setOfOlderResults(task: string, source: string): SetInfo {
  const noise = { measured: false } as const;
  const sets = findDownstreamTask(task)?.sets;
  if (sets?.kind === 'build') return { name: sets.name, provenance: sets.provenance, noise };
  if (/facts\/(downstream|entity_typing)$/.test(source))
    return { name: 'kg', provenance: 'kg-distant-supervision', noise };
  return { name: source.split('/').pop() || source, provenance: 'user', noise };
}

/**
 * reports/<profile>/results.json. A file of the schema before several sets per task (no `set` per
 * task, no `notEvaluated`) reads as this one, so that `npm run report` renders it again.
 */
export const Results = z.preprocess((raw) => {
  if (!isRecord(raw) || !isRecord(raw.tasks) || 'notEvaluated' in raw) return raw;
  const tasks = Object.fromEntries(
    Object.entries(raw.tasks).map(([task, t]) => [
      task,
      isRecord(t) && !('set' in t) ? { task, set: setOfOlderResults(task, String(t.source)), ...t } : t,
    ]),
  );
  return { ...raw, tasks, notEvaluated: {} };
}, CurrentResults);
export type Results = z.infer<typeof Results>;
