// The evaluation matrix: every row × seed trains its task layers and scores the test set; each
// run is saved; each row gets its mean ± std. Beside it, the paired bootstrap of F+L against the
// base and the relation data-efficiency curve.
import path from 'node:path';
import type { Row } from '../data/composition.ts';
import type { Comparison } from './results-schema.ts';
import type { BaseModel } from '../kadapter/base-model.ts';
import { meanStd, pairedRunBootstrap } from '../util/metrics.ts';
import type { DownstreamData } from './downstream-data.ts';
import { perRelationSubset } from './downstream-data.ts';
import type { RowTrainer, Score } from './protocols.ts';
import type { DownstreamSet } from './sets.ts';
import type { RowResult } from './report.ts';
import { componentInput, runFolder, runKey } from './rows.ts';
import { saveRowRun } from './run-files.ts';
import { metricOn, type MetricCounts } from './score.ts';
import type { Outputs, TaskLayerSpec } from './task-layers.ts';
import { downstreamTask } from '../tasks/downstream/index.ts';

export interface MatrixOptions {
  /** The set evaluated: its task, and its key, which names its runs' folder. */
  set: Pick<DownstreamSet, 'task' | 'key'>;
  data: DownstreamData;
  trainer: RowTrainer;
  score: Score;
  /** The report folder: runs go to <out>/runs/<set key>/<row key>/seed-N (src/eval/sets.ts). */
  out: string;
  epochs: number;
  seeds: number[];
  /** config.eval.replicateSeeds: each replicate with every seed, or replicate r with the r-th. */
  replicateSeeds: 'all' | 'paired';
  models: Record<Row['base'], BaseModel | null>;
  /** finetune: the row keys whose tuned base (first seed) is saved. */
  keepBases?: string[];
}

export const taskLayerSpec = (task: string, labels: string[], row: Row): TaskLayerSpec => ({
  task,
  labels,
  components: row.components.map(componentInput),
  combine: row.combine,
});

/** The runs of one row key: its outputs on test, one a run (replicate × task seed). */
export type TestOutputs = Map<string, Outputs[]>;

/** The task seeds a replicate of a row trains with: all, or (paired, several replicates) the r-th. */
export function seedsOf(o: Pick<MatrixOptions, 'seeds' | 'replicateSeeds'>, row: Row, replicates: number): number[] {
  if (o.replicateSeeds === 'all' || replicates < 2 || row.replicate === undefined) return o.seeds;
  return [o.seeds[(row.replicate - 1) % o.seeds.length]!];
}

/**
 * Every run of each row — each replicate of its weights × its task seeds (seedsOf): task layers,
 * test scores, saved runs; mean ± std per row key over all its runs.
 */
export async function runRows(
  o: MatrixOptions,
  rows: Row[],
): Promise<{ results: RowResult[]; testOutputs: TestOutputs }> {
  const main = downstreamTask(o.set.task).mainMetric;
  const results: RowResult[] = [];
  const testOutputs: TestOutputs = new Map();
  const keys = [...new Set(rows.map(runKey))];
  for (const key of keys) {
    const group = rows.filter((r) => runKey(r) === key);
    const perSeed: RowResult['perSeed'] = [];
    const outputs: Outputs[] = [];
    let parameters = 0;
    for (const row of group) {
      const model = o.models[row.base];
      if (!model) throw new Error(`row ${key} needs the ${row.base} base`);
      const seeds = seedsOf(o, row, group.length);
      for (const seed of seeds) {
        const spec = taskLayerSpec(o.set.task, o.data.labels, row);
        const r = await o.trainer(spec, row, seed, { epochs: o.epochs });
        const test = o.score('test', r.run.test);
        parameters = r.run.parameters;
        perSeed.push({
          ...(row.replicate !== undefined ? { replicate: row.replicate } : {}),
          seed,
          test,
          dev: o.score('dev', r.run.dev),
          bestEpoch: r.run.bestEpoch,
          epochsRun: r.run.epochsRun,
          seconds: r.run.seconds,
        });
        outputs.push(r.run.test);
        const dir = path.join(o.out, 'runs', o.set.key, key, runFolder(row, seed));
        // A tuned base is as large as the base: kept for the first run of the rows asked for.
        let baseDir: string | null = model.dir;
        if (r.saveBase) {
          const first = seed === seeds[0] && (row.replicate ?? 1) === 1;
          baseDir = first && o.keepBases?.includes(key) ? path.join(dir, 'base') : null;
          if (baseDir) r.saveBase(baseDir);
        }
        saveRowRun(dir, {
          spec,
          row,
          run: r.run,
          test,
          examples: o.data.splits.test,
          base: { dir: baseDir, name: model.name, hidden: model.config.hidden },
        });
        r.dispose();
      }
    }
    testOutputs.set(key, outputs);
    const agg = (split: 'test' | 'dev') =>
      Object.fromEntries(Object.keys(perSeed[0]![split]).map((m) => [m, meanStd(perSeed.map((s) => s[split][m]!))]));
    const row = group[0]!;
    const combine = row.combine === 'none' ? null : row.combine;
    const test = agg('test');
    results.push({
      key,
      row: row.id,
      label: row.label,
      combine: combine ?? '—',
      replicates: group.length,
      parameters,
      test,
      dev: agg('dev'),
      perSeed,
      seconds: perSeed.reduce((a, s) => a + s.seconds, 0),
    });
    process.stderr.write(
      `kadapter: ${o.set.key} ${row.label}${combine ? ` (${combine})` : ''}: test ${main} ${(100 * test[main]!.mean).toFixed(2)} ± ${(100 * test[main]!.std).toFixed(2)} over ${perSeed.length} runs\n`,
    );
  }
  return { results, testOutputs };
}

/** The combination of a row id with the best mean dev score: choices are made on dev, never on test. */
export function chosenOnDev(results: RowResult[], rowId: string, metric: string): RowResult | undefined {
  return results.filter((r) => r.row === rowId).sort((x, y) => y.dev[metric]!.mean - x.dev[metric]!.mean)[0];
}

/**
 * Paired bootstrap intervals of `target` minus each reference row key (test examples and runs
 * resampled; each side's value is the mean over its resampled runs).
 */
export function compareRows(o: {
  target: string;
  references: string[];
  testOutputs: TestOutputs;
  /** The main metric's counts of a run's test outputs (score.ts mainMetricCounts), computed once a run. */
  counts: (out: Outputs) => MetricCounts;
  n: number;
  samples: number;
}): Record<string, Comparison> {
  const out: Record<string, Comparison> = {};
  const b = o.testOutputs.get(o.target);
  if (!b) return out;
  const countsOf = new Map<Outputs, MetricCounts>();
  const counted = (x: Outputs) => countsOf.get(x) ?? countsOf.set(x, o.counts(x)).get(x)!;
  for (const ref of o.references) {
    const a = o.testOutputs.get(ref);
    if (!a || ref === o.target) continue;
    const runs = { a: a.map(counted), b: b.map(counted) };
    out[ref] = {
      a: ref,
      b: o.target,
      ...pairedRunBootstrap({
        n: o.n,
        runs: { a: a.length, b: b.length },
        metric: (idx, side, run) => metricOn(runs[side][run]!, idx),
        samples: o.samples,
      }),
    };
  }
  return out;
}

/** Share of runs whose best dev epoch came before the last epoch they trained. */
export const bestBeforeLast = (results: RowResult[]): number => {
  const runs = results.flatMap((r) => r.perSeed);
  return runs.length ? runs.filter((s) => s.bestEpoch < s.epochsRun - 1).length / runs.length : 0;
};

/** The main test score of the matrix's run of this row (its replicate) with this seed, if it ran. */
const matrixScore = (results: RowResult[], row: Row, seed: number, metric: string): number | undefined =>
  results.find((r) => r.key === runKey(row))?.perSeed.find((s) => s.seed === seed && s.replicate === row.replicate)
    ?.test[metric];

/**
 * Relations with k training examples per relation (and all), for the rows on the plain base with
 * the first combination: does knowledge help most where examples are few? A point on all the
 * examples that the matrix (`ran`) already trained — same row, seed, data and epochs — is read
 * from it, not trained again.
 */
export async function relationEfficiency(
  o: MatrixOptions,
  rows: Row[],
  perRelation: number[],
  ran: RowResult[] = [],
): Promise<{ row: string; perRelation: string; mean: number; std: number }[]> {
  const main = downstreamTask(o.set.task).mainMetric;
  const out: { row: string; perRelation: string; mean: number; std: number }[] = [];
  const n0 = o.data.splits.train.length;
  for (const k of [...perRelation, 'all' as const]) {
    for (const row of rows) {
      const scores: number[] = [];
      for (const seed of o.seeds) {
        const kept = k === 'all' ? matrixScore(ran, row, seed, main) : undefined;
        if (kept !== undefined) {
          scores.push(kept);
          continue;
        }
        const idx = k === 'all' ? undefined : perRelationSubset(o.data.splits.train, k, seed);
        // Few examples, few steps: more epochs so that every size sees a similar number of updates.
        const n = idx?.length ?? n0;
        const epochs = Math.min(
          60,
          k === 'all' ? o.epochs : Math.max(o.epochs, Math.ceil((o.epochs * n0) / Math.max(n, 1) / 4)),
        );
        const r = await o.trainer(taskLayerSpec(o.set.task, o.data.labels, row), row, seed, { trainIdx: idx, epochs });
        scores.push(o.score('test', r.run.test)[main]!);
        r.dispose();
      }
      const { mean, std } = meanStd(scores);
      out.push({ row: row.label, perRelation: String(k), mean, std });
    }
  }
  return out;
}
