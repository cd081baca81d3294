// Stage `ablate`: what in the combined adapters carries the gain? (protocol `frozen`)
//   inputs   as evaluate: the base, the trained factual and linguistic adapters (first seed), the
//            downstream data of eval.ablate.tasks
//   steps    per task: encode (dev/test sentences seen in adapter pre-training dropped) → pooled
//            vectors of the base, F, L, their random controls, and F and L with each adapter layer's
//            block knocked out → per variant × combination × seed: task layers, best dev epoch,
//            test → each variant's difference from F+L
//   outputs  reports/<profile>/ablation/{results.json, report.md, <task>.png, <task>.svg}
//            reports/<profile>/ablation/runs/<task>/<variant>/seed-N/{predictions-test.jsonl, metrics.json, probe/}
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import { describeBackend, initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel } from '../src/kadapter/base-model.ts';
import { resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';
import { ablationVariants, writeAblationReport, type AblationResults } from '../src/eval/ablation.ts';
import { rowChart, renderPlot } from '../src/eval/plots.ts';
import type { FrozenAdapter } from '../src/eval/pooled.ts';
import { MAIN_METRIC, scoreTask } from '../src/eval/score.ts';
import {
  adapterSources,
  frozenTrainer,
  loadEvalTask,
  loadKnowledgeAdapters,
  pooledSplits,
  pretrainingSentences,
  reportsDir,
  runEntries,
  type MatrixEntry,
} from './evaluate.ts';

export async function runAblateStage(config: Config, opts: { force: boolean }): Promise<void> {
  const started = Date.now();
  const backend = await initBackend(config.backend);
  process.stderr.write(`kadapter: backend ${describeBackend(backend)}\n`);
  const base = loadBaseModel(resolveBaseModelDir(config));
  const { adapters, loaded } = loadKnowledgeAdapters(config, base);
  // Knock-outs: the trained adapters with one adapter layer's block dropped, named <adapter>-without-<k>.
  const readLayers = loaded.factual!.adapter.readLayers;
  const knockouts: FrozenAdapter[] = readLayers.flatMap((_, k) =>
    adapters.filter((a) => a.name === 'factual' || a.name === 'linguistic').map((a) => ({ ...a, name: `${a.name}-without-${k}`, knockout: k })),
  );
  const all = [...adapters, ...knockouts];
  const variants = ablationVariants(readLayers, config.eval.combines);
  const out = path.join(reportsDir(config, 'frozen'), 'ablation');
  if (opts.force) fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const seen = await pretrainingSentences(config);
  const results: AblationResults = {
    profile: config.profile,
    protocol: 'frozen',
    base: { name: base.name, layers: base.config.layers, hidden: base.config.hidden },
    backend: describeBackend(backend),
    readLayers,
    seeds: config.eval.seeds,
    tasks: {},
    seconds: 0,
  };
  for (const task of config.eval.ablate.tasks) {
    const data = await loadEvalTask(config, base, task, seen);
    const main = MAIN_METRIC[task];
    const score = (split: 'dev' | 'test', o: Parameters<typeof scoreTask>[3], idx?: number[]) => scoreTask(task, data.labels, data.splits[split], o, idx);
    const sources = { base: await pooledSplits(base, all, data, `${task} ablation`), multitask: null };
    const trainer = frozenTrainer(config, sources, score, main);
    const entries: MatrixEntry[] = variants.map((v) => ({ key: v.key, row: v.row, combine: v.combine }));
    const describe = (e: MatrixEntry) => ({ base, adapters: adapterSources(all, e.row.adapters) });
    const { rows } = runEntries({ task, data, trainer, score, out, epochs: config.eval.epochs, seeds: config.eval.seeds, describe }, entries);
    results.tasks[task] = {
      metric: main,
      examples: { train: data.splits.train.length, dev: data.splits.dev.length, test: data.splits.test.length },
      source: data.source,
      rows: rows.map((r) => ({ ...r, family: variants.find((v) => v.key === r.key)!.family })),
    };
  }
  results.seconds = (Date.now() - started) / 1000;
  await writeAblationReport(out, results, { rowChart, renderPlot });
  process.stdout.write(`${fs.readFileSync(path.join(out, 'report.md'), 'utf8')}\n`);
}
