// Stage `evaluate`: do the knowledge adapters help downstream? (protocol `frozen`)
//   inputs   the base; runs/{factual,linguistic}/seed-N/adapter (the first adapter seed);
//            runs/multitask/seed-N/model when trained; downstream data per task (built, or --data-dir)
//   steps    per task: encode train/dev/test (counted skips; dev/test sentences seen in adapter
//            pre-training dropped) → pooled features of the base, each adapter, random adapters and
//            the multi-task base → per row × combination × seed: task layers, best dev epoch, test
//            → relation data-efficiency curve → paired bootstrap F+L − base → report
//   outputs  reports/<profile>/{results.json, report.md, *.png, *.svg}
//            reports/<profile>/runs/<task>/<row>/seed-N/{predictions-test.jsonl, metrics.json, probe/}
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import { DependencyExample, RelationExample } from '../src/data/schemas.ts';
import { UserError } from '../src/errors.ts';
import { loadAdapterFiles } from '../src/kadapter/adapter-files.ts';
import { initAdapter, type AdapterConfig } from '../src/kadapter/adapter.ts';
import { describeBackend, initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel, type BaseModel } from '../src/kadapter/base-model.ts';
import type { Skips } from '../src/kadapter/examples.ts';
import { resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';
import { mulberry32, shuffled } from '../src/kadapter/rng.ts';
import { writeSafetensors } from '../src/kadapter/safetensors.ts';
import { meanStd, pairedBootstrap } from '../src/eval/metrics.ts';
import { barChart, curveChart, renderPlot } from '../src/eval/plots.ts';
import { poolFeatures, type FrozenAdapter, type PooledSet } from '../src/eval/pooled.ts';
import { trainProbe, type Combine, type ProbeRun, type ProbeSpec, type SplitData } from '../src/eval/probe.ts';
import { MAIN_METRIC, scoreTask, type Scores } from '../src/eval/score.ts';
import { encodePos, encodeTaskFile, unseenLabels, type TaskExample, type TaskName } from '../src/eval/tasks.ts';
import { writeReport, type Results, type RowResult } from '../src/eval/report.ts';
import { readJsonl } from '../src/util/jsonl.ts';
import { offsetsOf } from '../src/util/offsets.ts';
import { repoRoot } from '../src/paths.ts';
import { dependencyDir, dependencySplitFiles } from './dependency-data.ts';
import { factsDir } from './facts-data.ts';
import { runsDir } from './train.ts';

const SPLITS = ['train', 'dev', 'test'] as const;
type SplitName = (typeof SPLITS)[number];

export function reportsDir(config: Config): string {
  return config.paths.reportsDir;
}

/** A row of the paper's table: which base, which adapters. */
export interface RowSpec {
  id: string;
  label: string;
  base: 'base' | 'multitask';
  adapters: string[];
}

export const ROWS: RowSpec[] = [
  { id: 'base', label: 'base', base: 'base', adapters: [] },
  { id: 'random', label: 'base + random adapters', base: 'base', adapters: ['random-factual', 'random-linguistic'] },
  { id: 'multitask', label: 'multi-task base', base: 'multitask', adapters: [] },
  { id: 'F', label: 'K-Adapter F', base: 'base', adapters: ['factual'] },
  { id: 'L', label: 'K-Adapter L', base: 'base', adapters: ['linguistic'] },
  { id: 'FL', label: 'K-Adapter F+L', base: 'base', adapters: ['factual', 'linguistic'] },
];

/** Initialisation seeds of the random-adapter control (recorded with every run that uses it). */
export const RANDOM_SEEDS: Record<string, number> = { 'random-factual': 1001, 'random-linguistic': 1002 };

/** Sentence identity across formats: the characters without whitespace. */
const sentenceKey = (s: string) => s.replace(/\s+/g, '');

/** Sentences the adapters were pre-trained on: factual train/dev examples and dependency train. */
async function pretrainingSentences(config: Config): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const split of ['train', 'dev']) {
    const file = path.join(factsDir(config), `${split}.jsonl`);
    if (fs.existsSync(file)) for await (const r of readJsonl<RelationExample>(file)) keys.add(sentenceKey(r.token.join('')));
  }
  for (const f of dependencySplitFiles(config, 'train')) {
    for await (const r of readJsonl<DependencyExample>(f)) keys.add(sentenceKey(r.tokens.join('')));
  }
  return keys;
}

interface TaskData {
  task: TaskName;
  labels: string[];
  splits: Record<SplitName, TaskExample[]>;
  skipped: Record<string, Skips>;
  source: string;
  unseenTestLabels: Record<string, number>;
  droppedAsSeenInPretraining: Record<string, number>;
}

/** A task's three splits, encoded for the base. */
export async function loadEvalTask(config: Config, base: BaseModel, task: TaskName, seen: Set<string>): Promise<TaskData> {
  const maxLength = Math.min(config.model.maxLength, base.maxLength);
  const skipped: Record<string, Skips> = { train: {}, dev: {}, test: {} };
  const splits = { train: [], dev: [], test: [] } as Record<SplitName, TaskExample[]>;
  const dropped: Record<string, number> = {};
  const caps: Record<SplitName, number | null> = { train: config.eval.maxTrain[task], dev: config.eval.maxDev, test: config.eval.maxTest };
  let source: string;
  const keep = (split: SplitName, key: string) => {
    if (split !== 'train' && seen.has(key)) {
      dropped[split] = (dropped[split] ?? 0) + 1;
      return false;
    }
    return true;
  };
  if (task === 'pos') {
    const dir = dependencyDir(config);
    source = `${path.relative(repoRoot, dir)} (Brown, gold tags; test = held-out sections)`;
    for (const split of SPLITS) {
      outer: for (const f of dependencySplitFiles(config, split)) {
        for await (const r of readJsonl<DependencyExample>(f)) {
          if (r.source !== 'brown') continue;
          const e = encodePos(DependencyExample.parse(r), base.tokenizer, maxLength, skipped[split]!);
          if (e) splits[split].push(e);
          if (caps[split] !== null && splits[split].length >= caps[split]) break outer;
        }
      }
    }
  } else {
    const custom = config.eval.dataDirs[task];
    const dir = custom ? path.resolve(repoRoot, custom) : path.join(factsDir(config), task === 'relation' ? 'downstream' : 'entity_typing');
    source = path.relative(repoRoot, dir) || dir;
    for (const split of SPLITS) {
      const file = ['json', 'jsonl'].map((ext) => path.join(dir, `${split}.${ext}`)).find((f) => fs.existsSync(f));
      if (!file) throw new UserError(`${task}: no ${split}.json or ${split}.jsonl in ${dir}`);
      splits[split] = encodeTaskFile(task, file, base.tokenizer, maxLength, skipped[split]!, { keep: (sentence) => keep(split, sentenceKey(sentence)), cap: caps[split] });
    }
  }
  for (const split of SPLITS) if (splits[split].length === 0) throw new UserError(`${task}: the ${split} split has no usable example (${JSON.stringify(skipped[split])})`);
  const labels = [...new Set(splits.train.flatMap((e) => e.gold))].sort();
  const unseen = unseenLabels(splits.test, labels);
  if (task === 'relation' && !labels.includes('no_relation')) labels.push('no_relation');
  return { task, labels, splits, skipped, source, unseenTestLabels: unseen, droppedAsSeenInPretraining: dropped };
}

/** The examples of a relation training set with at most k per relation (seeded choice). */
export function perRelationSubset(examples: TaskExample[], k: number, seed: number): number[] {
  const by = new Map<string, number[]>();
  examples.forEach((e, i) => by.set(e.gold[0]!, [...(by.get(e.gold[0]!) ?? []), i]));
  const rand = mulberry32(seed);
  return [...by.keys()].sort().flatMap((rel) => shuffled(by.get(rel)!, rand).slice(0, k)).sort((a, b) => a - b);
}

function subsetSplit(d: SplitData, idx: number[]): SplitData {
  const H = d.pooled.hidden;
  const examples = idx.map((i) => d.examples[i]!);
  const { offsets, total } = offsetsOf(examples.map((e) => e.positions.length));
  const components: Record<string, Float32Array> = {};
  for (const [name, src] of Object.entries(d.pooled.components)) {
    const out = new Float32Array(total * H);
    idx.forEach((i, k) => out.set(src.subarray(d.pooled.offsets[i]! * H, (d.pooled.offsets[i]! + examples[k]!.positions.length) * H), offsets[k]! * H));
    components[name] = out;
  }
  return { examples, pooled: { hidden: H, offsets, components } };
}

export async function runEvaluateStage(config: Config, opts: { force: boolean }): Promise<void> {
  const started = Date.now();
  const backend = await initBackend(config.backend);
  process.stderr.write(`kadapter: backend ${describeBackend(backend)}\n`);
  const base = loadBaseModel(resolveBaseModelDir(config));
  const seed0 = config.adapters.seeds[0]!;
  const runs = runsDir(config);
  const adapterDir = (name: string) => path.join(runs, name, `seed-${seed0}`, 'adapter');
  for (const name of ['factual', 'linguistic']) {
    if (!fs.existsSync(path.join(adapterDir(name), 'adapter_config.json'))) {
      throw new UserError(`no trained ${name} adapter in ${adapterDir(name)}: run \`npm run pipeline:train -- --profile ${config.profile}\` first`);
    }
  }
  const factual = loadAdapterFiles(adapterDir('factual'), base);
  const linguistic = loadAdapterFiles(adapterDir('linguistic'), base);
  const adapters: FrozenAdapter[] = [
    { name: 'factual', config: factual.config.adapter, weights: factual.model.adapter },
    { name: 'linguistic', config: linguistic.config.adapter, weights: linguistic.model.adapter },
    // The control: the same architecture, never trained.
    { name: 'random-factual', config: factual.config.adapter, weights: initAdapter(factual.config.adapter, RANDOM_SEEDS['random-factual']!) },
    { name: 'random-linguistic', config: linguistic.config.adapter, weights: initAdapter(linguistic.config.adapter, RANDOM_SEEDS['random-linguistic']!) },
  ];
  const mtDir = path.join(runs, 'multitask', `seed-${seed0}`, 'model');
  const multitask = fs.existsSync(path.join(mtDir, 'model.safetensors')) ? loadBaseModel(mtDir) : null;
  if (!multitask) process.stderr.write(`kadapter: no multi-task baseline in ${mtDir}: its row is left out (train it with --adapter multitask)\n`);

  const seen = await pretrainingSentences(config);
  const out = reportsDir(config);
  if (opts.force) fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const results: Results = {
    profile: config.profile,
    protocol: 'frozen',
    base: { name: base.name, parameters: base.parameters, layers: base.config.layers, hidden: base.config.hidden },
    backend: describeBackend(backend),
    adapters: { factual: factual.config, linguistic: linguistic.config },
    seeds: config.eval.seeds,
    tasks: {},
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    seconds: 0,
  };

  for (const task of config.eval.tasks) {
    const data = await loadEvalTask(config, base, task, seen);
    process.stderr.write(
      `kadapter: ${task}: ${data.splits.train.length}/${data.splits.dev.length}/${data.splits.test.length} examples from ${data.source}; ${data.labels.length} labels; ` +
        `dropped as seen in adapter pre-training ${JSON.stringify(data.droppedAsSeenInPretraining)}; unseen test labels ${JSON.stringify(data.unseenTestLabels)}\n`,
    );
    const pooled: Record<'base' | 'multitask', Record<SplitName, SplitData> | null> = { base: null, multitask: null };
    const poolStarted = Date.now();
    for (const which of ['base', 'multitask'] as const) {
      const model = which === 'base' ? base : multitask;
      if (!model) continue;
      const bySplit = {} as Record<SplitName, SplitData>;
      for (const split of SPLITS) {
        const p: PooledSet = await poolFeatures(model, which === 'base' ? adapters : [], data.splits[split], `${task} ${which} ${split}`);
        bySplit[split] = { examples: data.splits[split], pooled: p };
      }
      pooled[which] = bySplit;
    }
    const poolSeconds = (Date.now() - poolStarted) / 1000;
    const main = MAIN_METRIC[task];
    const score = (split: 'dev' | 'test', o: ProbeRun['test'], idx?: number[]) => scoreTask(task, data.labels, data.splits[split], o, idx);
    const rows: RowResult[] = [];
    const testOutputs = new Map<string, ProbeRun['test'][]>();
    for (const row of ROWS) {
      const splits = pooled[row.base];
      if (!splits) continue;
      for (const combine of row.adapters.length ? config.eval.combines : ([null] as const)) {
        const key = combine ? `${row.id}-${combine}` : row.id;
        const perSeed: { seed: number; test: Scores; dev: Scores; bestEpoch: number; seconds: number }[] = [];
        const outputs: ProbeRun['test'][] = [];
        for (const seed of config.eval.seeds) {
          const spec: ProbeSpec = { task, labels: data.labels, adapters: row.adapters, combine: (combine ?? 'sum') as Combine };
          const run = trainProbe(spec, { epochs: config.eval.epochs, batchSize: config.eval.batchSize, lr: config.eval.lr, weightDecay: config.eval.weightDecay, seed }, splits.train, splits.dev, splits.test, (_, o) => score('dev', o)[main]!);
          const test = score('test', run.test);
          perSeed.push({ seed, test, dev: score('dev', run.dev), bestEpoch: run.bestEpoch, seconds: run.seconds });
          outputs.push(run.test);
          const used = row.adapters.map((a) => adapters.find((x) => x.name === a)!);
          const sources = used.map((a) => (a.name.startsWith('random') ? { name: a.name, randomSeed: RANDOM_SEEDS[a.name]!, config: a.config } : { name: a.name, dir: adapterDir(a.name) }));
          saveRowRun(path.join(out, 'runs', task, key, `seed-${seed}`), { spec, run, test, data, base: row.base === 'base' ? base : multitask!, adapters: sources, row, combine });
        }
        testOutputs.set(key, outputs);
        const agg = Object.fromEntries(Object.keys(perSeed[0]!.test).map((m) => [m, meanStd(perSeed.map((s) => s.test[m]!))]));
        rows.push({ key, row: row.id, label: row.label, combine: combine ?? '—', test: agg, perSeed, seconds: perSeed.reduce((a, s) => a + s.seconds, 0) });
        process.stderr.write(`kadapter: ${task} ${row.label}${combine ? ` (${combine})` : ''}: test ${main} ${(100 * agg[main]!.mean).toFixed(2)} ± ${(100 * agg[main]!.std).toFixed(2)}\n`);
      }
    }
    // Paired bootstrap of F+L minus base on the test examples, averaging each side over seeds.
    const bootstrap: Record<string, unknown> = {};
    for (const combine of config.eval.combines) {
      const a = testOutputs.get('base');
      const b = testOutputs.get(`FL-${combine}`);
      if (!a || !b) continue;
      const metric = (outs: ProbeRun['test'][], idx: number[]) => outs.reduce((s, o) => s + score('test', o, idx)[main]!, 0) / outs.length;
      bootstrap[`FL-${combine} − base`] = pairedBootstrap(data.splits.test.length, (idx, side) => metric(side === 'a' ? a : b, idx), config.eval.bootstrapSamples);
    }
    // Data efficiency: relations with k training examples per relation.
    const efficiency: { row: string; perRelation: string; mean: number; std: number }[] = [];
    if (task === 'relation' && pooled.base) {
      const effRows = ROWS.filter((r) => r.base === 'base');
      for (const k of [...config.eval.perRelation, 'all' as const]) {
        for (const row of effRows) {
          const scores: number[] = [];
          for (const seed of config.eval.seeds) {
            const idx = k === 'all' ? data.splits.train.map((_, i) => i) : perRelationSubset(data.splits.train, k, seed);
            const train = subsetSplit(pooled.base.train, idx);
            const spec: ProbeSpec = { task, labels: data.labels, adapters: row.adapters, combine: (config.eval.combines[0] ?? 'concat') as Combine };
            // Few examples, few steps: more epochs so that every size sees a similar number of updates.
            const epochs = k === 'all' ? config.eval.epochs : Math.max(config.eval.epochs, Math.ceil((config.eval.epochs * data.splits.train.length) / Math.max(idx.length, 1) / 4));
            const run = trainProbe(spec, { epochs: Math.min(epochs, 60), batchSize: config.eval.batchSize, lr: config.eval.lr, weightDecay: config.eval.weightDecay, seed }, train, pooled.base.dev, pooled.base.test, (_, o) => score('dev', o)[main]!);
            scores.push(score('test', run.test)[main]!);
          }
          const { mean, std } = meanStd(scores);
          efficiency.push({ row: row.label, perRelation: String(k), mean, std });
        }
      }
    }
    results.tasks[task] = {
      source: data.source,
      metric: main,
      labels: data.labels.length,
      examples: { train: data.splits.train.length, dev: data.splits.dev.length, test: data.splits.test.length },
      skipped: data.skipped,
      droppedAsSeenInPretraining: data.droppedAsSeenInPretraining,
      unseenTestLabels: data.unseenTestLabels,
      poolSeconds,
      rows,
      bootstrap,
      efficiency,
    };
  }
  results.finishedAt = new Date().toISOString();
  results.seconds = (Date.now() - started) / 1000;
  await writeReport(out, results, { barChart, curveChart, renderPlot });
  process.stdout.write(`${fs.readFileSync(path.join(out, 'report.md'), 'utf8')}\n`);
}

export const PROBE_FORMAT = 'kadapter-probe/1';

/** Where a run's adapter comes from: a trained folder, or the random control's seed and shape. */
export type AdapterSource = { name: string; dir: string } | { name: string; randomSeed: number; config: AdapterConfig };

export interface ProbeFile {
  format: typeof PROBE_FORMAT;
  spec: ProbeSpec;
  row: RowSpec;
  combine: string | null;
  base: { dir: string; name: string; hidden: number };
  adapters: AdapterSource[];
}

function saveRowRun(
  dir: string,
  o: { spec: ProbeSpec; run: ProbeRun; test: Scores; data: TaskData; base: BaseModel; adapters: AdapterSource[]; row: RowSpec; combine: string | null },
): void {
  fs.mkdirSync(path.join(dir, 'probe'), { recursive: true });
  const preds = o.data.splits.test.map((e, i) => ({
    id: e.id,
    gold: o.spec.task === 'relation' ? e.gold[0] : e.gold,
    predicted: o.run.test.predicted ? (o.spec.task === 'relation' ? o.run.test.predicted[i]![0] : o.run.test.predicted[i]) : undefined,
    logits: o.run.test.logits ? o.run.test.logits[i] : undefined,
  }));
  fs.writeFileSync(path.join(dir, 'predictions-test.jsonl'), preds.map((p) => `${JSON.stringify(p)}\n`).join(''));
  fs.writeFileSync(path.join(dir, 'metrics.json'), `${JSON.stringify({ test: o.test, bestEpoch: o.run.bestEpoch, devByEpoch: o.run.devByEpoch, seconds: o.run.seconds }, null, 2)}\n`);
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const [n, t] of Object.entries(o.run.weights)) tensors[n] = { dtype: 'F32', shape: t.shape, data: t.data };
  writeSafetensors(path.join(dir, 'probe', 'probe.safetensors'), tensors);
  fs.writeFileSync(
    path.join(dir, 'probe', 'probe_config.json'),
    `${JSON.stringify({ format: PROBE_FORMAT, spec: o.spec, row: o.row, combine: o.combine, base: { dir: o.base.dir, name: o.base.name, hidden: o.base.config.hidden }, adapters: o.adapters } satisfies ProbeFile, null, 2)}\n`,
  );
}
