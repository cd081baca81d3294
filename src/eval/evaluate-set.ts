// One downstream set under evaluate: the whole row matrix on it — the protocol's trainer (vectors
// pooled once per base under `frozen`, a fresh trainable base per run under `finetune`), every
// row × seed, F+L's combination chosen on dev and set against each control (paired bootstrap), the
// relation data-efficiency curve on the first relation set, and the kg set's verified subset.
import type { Config } from '../config/schema.ts';
import type { Row } from '../data/composition.ts';
import { pooledCacheDir } from '../data/layout.ts';
import type { BaseModel } from '../kadapter/base-model.ts';
import type { ComponentVectors } from './components.ts';
import type { DownstreamData } from './downstream-data.ts';
import { bestBeforeLast, chosenOnDev, compareRows, relationEfficiency, runRows, type MatrixOptions } from './matrix.ts';
import { finetuneTrainer, frozenTrainer, pooledSplits, type RowTrainer, type Score } from './protocols.ts';
import type { TaskResult } from './report.ts';
import { mainMetricCounts, scoreTask } from './score.ts';
import type { DownstreamSet } from './sets.ts';
import { referenceKeys, verifiedResult } from './verified.ts';
import { downstreamTask } from '../tasks/downstream/index.ts';

/** What every set's evaluation shares: the rows, their resolved components, the bases, the schedule. */
export interface SetContext {
  config: Config;
  rows: Row[];
  components: Record<Row['base'], ComponentVectors[]>;
  models: Record<Row['base'], BaseModel | null>;
  out: string;
  epochs: number;
  seeds: number[];
  /** --force: pool the vectors again. */
  refresh: boolean;
  /** When this evaluate started (ms): a set kept since then was evaluated beside it. */
  started: number;
}

/** The data-efficiency curve is drawn on the first set of a task that has one (relations). */
export const hasCurve = (set: DownstreamSet) => downstreamTask(set.task).dataEfficiencyCurve && set.first;

/** The whole row matrix on one set: every row × seed, F+L against the references, the curve, the verified set. */
export async function evaluateSet(
  ctx: SetContext,
  set: DownstreamSet,
  data: DownstreamData,
): Promise<Omit<TaskResult, 'task' | 'set'>> {
  const { config, rows, components, models, out } = ctx;
  const { task } = set;
  const frozen = config.eval.protocol === 'frozen';
  const main = downstreamTask(task).mainMetric;
  const score: Score = (split, o, idx) => scoreTask(task, data.labels, data.splits[split], o, idx);
  const poolStarted = Date.now();
  const cache = { dir: pooledCacheDir(config), refresh: ctx.refresh };
  let trainer: RowTrainer;
  if (frozen) {
    trainer = frozenTrainer(
      config,
      {
        base: await pooledSplits(models.base!, components.base, data, `${set.key} base`, cache),
        multitask: models.multitask
          ? await pooledSplits(models.multitask, components.multitask, data, `${set.key} multitask`, cache)
          : null,
      },
      score,
      main,
    );
  } else trainer = finetuneTrainer(config, models, components.base, data, score, main);
  const poolSeconds = (Date.now() - poolStarted) / 1000;
  const matrix: MatrixOptions = {
    set,
    data,
    trainer,
    score,
    out,
    epochs: ctx.epochs,
    seeds: ctx.seeds,
    replicateSeeds: config.eval.replicateSeeds,
    models,
    keepBases: config.eval.finetune.keepBases,
  };
  const { results: rowResults, testOutputs } = await runRows(matrix, rows);
  // F+L's combination is chosen on dev; it is set against the base, the random control, the
  // layer-access controls and the multi-task base (paired bootstrap over test examples and runs).
  const fl = chosenOnDev(rowResults, 'FL', main);
  const bootstrap = fl
    ? compareRows({
        target: fl.key,
        references: referenceKeys(fl.combine),
        testOutputs,
        counts: (out) => mainMetricCounts(task, data.labels, data.splits.test, out),
        n: data.splits.test.length,
        samples: config.eval.bootstrapSamples,
      })
    : {};
  // The data-efficiency curve, on the first relation set: the plain-base rows with the first
  // combination, first replicate.
  const first = config.eval.combines[0]!;
  const curveRows = rows.filter(
    (r) =>
      r.base === 'base' && r.id !== 'mix' && (r.combine === 'none' || r.combine === first) && (r.replicate ?? 1) === 1,
  );
  const efficiency = hasCurve(set)
    ? await relationEfficiency(matrix, curveRows, config.eval.perRelation, rowResults)
    : [];
  const verified = verifiedResult(config, set, out, rowResults, fl?.combine ?? null);
  return {
    source: data.source,
    metric: main,
    labels: data.labels.length,
    examples: { train: data.splits.train.length, dev: data.splits.dev.length, test: data.splits.test.length },
    skipped: data.skipped,
    droppedAsSeenInPretraining: data.droppedAsSeenInPretraining,
    droppedBySource: data.droppedBySource,
    sourceMix: data.sourceMix,
    sampled: data.sampled,
    unseenTestLabels: data.unseenTestLabels,
    poolSeconds,
    rows: rowResults,
    chosenCombine: fl?.combine ?? null,
    bootstrap,
    bestBeforeLast: bestBeforeLast(rowResults),
    efficiency,
    ...(verified ? { verified } : {}),
  };
}
