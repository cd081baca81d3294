// Stage `ablate`: what in the combined adapters carries the gain? (protocol `frozen`)
//   inputs   as evaluate: the base, the trained factual and linguistic adapters (first seed), the
//            first downstream set of each of eval.ablate.tasks (one not built, or with an empty
//            split, is recorded as not evaluated and the other tasks go on)
//   steps    the variants as rows (src/eval/ablation.ts) → per task: encode (dev/test sentences
//            seen in adapter pre-training dropped) → vectors of the base and every component the
//            variants use (trained, random, with adapter layers left out), pooled once and kept in
//            the pooled cache (<build>/pooled/, shared with evaluate: what it pooled is read) → per
//            variant × seed: task layers, best dev epoch, test → each variant's difference from F+L
//   outputs  reports/<profile>/ablation/{results.json, report.md, <task>.png, <task>.svg}
//            reports/<profile>/ablation/runs/<task>/<variant>/seed-N/{predictions-test.jsonl, metrics.json, task-layers/}
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import { ablationDir, pooledCacheDir } from '../src/data/layout.ts';
import type { LoadedAdapter } from '../src/methods/files.ts';
import { describeBackend, initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel } from '../src/kadapter/base-model.ts';
import { resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';
import { ablationVariants, variantKey, writeAblationReport, type AblationResults } from '../src/eval/ablation.ts';
import { resolveComponents, trainedAdapters } from '../src/eval/components.ts';
import { loadSetData, pretrainingSentences } from '../src/eval/downstream-data.ts';
import { compareRows, runRows } from '../src/eval/matrix.ts';
import { rowChart, renderPlot } from '../src/eval/plots.ts';
import { frozenTrainer, pooledSplits, type Score } from '../src/eval/protocols.ts';
import { mainMetricCounts, scoreTask } from '../src/eval/score.ts';
import { downstreamTask } from '../src/tasks/downstream/index.ts';
import { downstreamSets } from '../src/eval/sets.ts';

export async function runAblateStage(config: Config, opts: { force: boolean }): Promise<void> {
  const started = Date.now();
  const backend = await initBackend(config.backend);
  process.stderr.write(`kadapter: backend ${describeBackend(backend)}\n`);
  const base = loadBaseModel(resolveBaseModelDir(config));
  const folders = new Map<string, LoadedAdapter>();
  const adapters = trainedAdapters(config, base, folders);
  // The first pre-training seed's adapters (the main table covers every seed).
  const variants = ablationVariants({
    factual: adapters.factual[0]!,
    linguistic: adapters.linguistic[0]!,
    baseLayers: base.config.layers,
    combines: config.eval.combines,
  });
  const rows = variants.map((v) => v.row);
  const out = ablationDir(config);
  if (opts.force) fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const seen = await pretrainingSentences(config);
  const results: AblationResults = {
    profile: config.profile,
    protocol: 'frozen',
    base: { name: base.name, layers: base.config.layers, hidden: base.config.hidden },
    backend: describeBackend(backend),
    readLayers: [...adapters.factual[0]!.readLayers],
    seeds: config.eval.seeds,
    tasks: {},
    notEvaluated: {},
    seconds: 0,
  };
  // Resolved once for all tasks: the random draws are initialised once.
  const components = resolveComponents(
    rows.flatMap((r) => r.components),
    base,
    folders,
  );
  for (const task of config.eval.ablate.tasks) {
    const set = downstreamSets(config, task)[0]!;
    const loaded = await loadSetData(config, base, set, seen);
    if (!loaded.data) {
      process.stderr.write(`kadapter: ablate ${task} (set ${set.name}): not evaluated: ${loaded.reason}\n`);
      results.notEvaluated[task] = `set ${set.name}: ${loaded.reason}`;
      continue;
    }
    const { data } = loaded;
    const main = downstreamTask(task).mainMetric;
    const score: Score = (split, o, idx) => scoreTask(task, data.labels, data.splits[split], o, idx);
    const trainer = frozenTrainer(
      config,
      {
        base: await pooledSplits(base, components, data, `${task} ablation`, {
          dir: pooledCacheDir(config),
          refresh: opts.force,
        }),
        multitask: null,
      },
      score,
      main,
    );
    const { results: rowResults, testOutputs } = await runRows(
      {
        set,
        data,
        trainer,
        score,
        out,
        epochs: config.eval.epochs,
        seeds: config.eval.seeds,
        // Every variant has one set of weights (the first adapter seed, the first draw): every task seed.
        replicateSeeds: config.eval.replicateSeeds,
        models: { base, multitask: null },
      },
      rows,
    );
    results.tasks[task] = {
      metric: main,
      examples: { train: data.splits.train.length, dev: data.splits.dev.length, test: data.splits.test.length },
      set: set.name,
      source: data.source,
      rows: rowResults.map((r) => {
        // Each variant minus F+L of the same combination, on the same test examples.
        const fl = `FL-${r.combine}`;
        const vs =
          r.key === fl
            ? {}
            : compareRows({
                target: r.key,
                references: [fl],
                testOutputs,
                counts: (out) => mainMetricCounts(task, data.labels, data.splits.test, out),
                n: data.splits.test.length,
                samples: config.eval.bootstrapSamples,
              });
        const d = vs[fl];
        return {
          ...r,
          family: variants.find((v) => variantKey(v) === r.key)!.family,
          againstFL: d ? { diff: d.diff, low: d.low, high: d.high, pBelowZero: d.pBelowZero } : null,
        };
      }),
    };
  }
  results.seconds = (Date.now() - started) / 1000;
  await writeAblationReport(out, results, { rowChart, renderPlot });
  process.stdout.write(`${fs.readFileSync(path.join(out, 'report.md'), 'utf8')}\n`);
}
