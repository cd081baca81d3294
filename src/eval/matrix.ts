// The evaluation matrix: every row × seed trains its task layers and scores the test set; each
// run is saved; each row gets its mean ± std. Beside it, the paired bootstrap of F+L against the
// base and the relation data-efficiency curve.
import path from 'node:path';
import type { Row } from '../data/composition.ts';
import type { BaseModel } from '../kadapter/base-model.ts';
import { meanStd, pairedBootstrap } from '../util/metrics.ts';
import type { DownstreamData } from './downstream-data.ts';
import { perRelationSubset } from './downstream-data.ts';
import type { RowTrainer, Score } from './protocols.ts';
import type { RowResult } from './report.ts';
import { componentKey, runKey } from './rows.ts';
import { saveRowRun } from './run-files.ts';
import { MAIN_METRIC } from './score.ts';
import type { Outputs, TaskLayerSpec } from './task-layers.ts';
import type { DownstreamTask } from './tasks.ts';

export interface MatrixOptions {
  task: DownstreamTask;
  data: DownstreamData;
  trainer: RowTrainer;
  score: Score;
  /** The report folder: runs go to <out>/runs/<task>/<row key>/seed-N. */
  out: string;
  epochs: number;
  seeds: number[];
  models: Record<Row['base'], BaseModel | null>;
  /** finetune: the row keys whose tuned base (first seed) is saved. */
  keepBases?: string[];
}

export const taskLayerSpec = (task: DownstreamTask, labels: string[], row: Row): TaskLayerSpec => ({
  task,
  labels,
  components: row.components.map(componentKey),
  combine: row.combine,
});

/** Every seed of each row: task layers, test scores, saved runs; mean ± std per row. */
export function runRows(o: MatrixOptions, rows: Row[]): { results: RowResult[]; testOutputs: Map<string, Outputs[]> } {
  const main = MAIN_METRIC[o.task];
  const results: RowResult[] = [];
  const testOutputs = new Map<string, Outputs[]>();
  for (const row of rows) {
    const key = runKey(row);
    const model = o.models[row.base];
    if (!model) throw new Error(`row ${key} needs the ${row.base} base`);
    const perSeed: RowResult['perSeed'] = [];
    const outputs: Outputs[] = [];
    for (const seed of o.seeds) {
      const spec = taskLayerSpec(o.task, o.data.labels, row);
      const r = o.trainer(spec, row, seed, { epochs: o.epochs });
      const test = o.score('test', r.run.test);
      perSeed.push({ seed, test, dev: o.score('dev', r.run.dev), bestEpoch: r.run.bestEpoch, seconds: r.run.seconds });
      outputs.push(r.run.test);
      const dir = path.join(o.out, 'runs', o.task, key, `seed-${seed}`);
      // A tuned base is as large as the base: kept for the first seed of the rows asked for.
      let baseDir: string | null = model.dir;
      if (r.saveBase) {
        baseDir = seed === o.seeds[0] && o.keepBases?.includes(key) ? path.join(dir, 'base') : null;
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
    testOutputs.set(key, outputs);
    const agg = Object.fromEntries(
      Object.keys(perSeed[0]!.test).map((m) => [m, meanStd(perSeed.map((s) => s.test[m]!))]),
    );
    const combine = row.combine === 'none' ? null : row.combine;
    results.push({
      key,
      row: row.id,
      label: row.label,
      combine: combine ?? '—',
      test: agg,
      perSeed,
      seconds: perSeed.reduce((a, s) => a + s.seconds, 0),
    });
    process.stderr.write(
      `kadapter: ${o.task} ${row.label}${combine ? ` (${combine})` : ''}: test ${main} ${(100 * agg[main]!.mean).toFixed(2)} ± ${(100 * agg[main]!.std).toFixed(2)}\n`,
    );
  }
  return { results, testOutputs };
}

/** Paired bootstrap of one row minus another on the test examples, each side averaged over its seeds. */
export function bootstrapPair(o: {
  a: Outputs[];
  b: Outputs[];
  score: Score;
  metric: string;
  n: number;
  samples: number;
}) {
  const metric = (outs: Outputs[], idx: number[]) =>
    outs.reduce((s, out) => s + o.score('test', out, idx)[o.metric]!, 0) / outs.length;
  return pairedBootstrap(o.n, (idx, side) => metric(side === 'a' ? o.a : o.b, idx), o.samples);
}

/**
 * Relations with k training examples per relation (and all), for the rows on the plain base with
 * the first combination: does knowledge help most where examples are few?
 */
export function relationEfficiency(
  o: MatrixOptions,
  rows: Row[],
  perRelation: number[],
): { row: string; perRelation: string; mean: number; std: number }[] {
  const main = MAIN_METRIC[o.task];
  const out: { row: string; perRelation: string; mean: number; std: number }[] = [];
  const n0 = o.data.splits.train.length;
  for (const k of [...perRelation, 'all' as const]) {
    for (const row of rows) {
      const scores: number[] = [];
      for (const seed of o.seeds) {
        const idx = k === 'all' ? undefined : perRelationSubset(o.data.splits.train, k, seed);
        // Few examples, few steps: more epochs so that every size sees a similar number of updates.
        const n = idx?.length ?? n0;
        const epochs = Math.min(
          60,
          k === 'all' ? o.epochs : Math.max(o.epochs, Math.ceil((o.epochs * n0) / Math.max(n, 1) / 4)),
        );
        const r = o.trainer(taskLayerSpec(o.task, o.data.labels, row), row, seed, { trainIdx: idx, epochs });
        scores.push(o.score('test', r.run.test)[main]!);
        r.dispose();
      }
      const { mean, std } = meanStd(scores);
      out.push({ row: row.label, perRelation: String(k), mean, std });
    }
  }
  return out;
}
