// Stage `evaluate`: do the knowledge adapters help downstream?
//   inputs   the base; runs/{factual,linguistic}/seed-N/adapter (the first adapter seed);
//            runs/multitask/seed-N/model when trained; downstream data per task (built, or --data-dir)
//   steps    per task: encode train/dev/test (counted skips; dev/test sentences seen in adapter
//            pre-training dropped) → the rows' vectors: under `frozen` pooled once from the base,
//            each adapter, random adapters and the multi-task base; under `finetune` live, through
//            a fresh trainable copy of the base per run → per row × combination × seed: task
//            layers (and the base, finetune), best dev epoch, test → relation data-efficiency
//            curve → paired bootstrap F+L − base → report
//   outputs  reports/<profile>/{results.json, report.md, *.png, *.svg}            (frozen)
//            reports/<profile>/finetune/…                                         (finetune)
//            …/runs/<task>/<row>/seed-N/{predictions-test.jsonl, metrics.json, probe/[, base/]}
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../src/config/schema.ts';
import { DependencyExample, RelationExample } from '../src/data/schemas.ts';
import { UserError } from '../src/util/errors.ts';
import { loadAdapterFiles, type LoadedAdapter } from '../src/kadapter/adapter-files.ts';
import { initAdapter, type AdapterConfig } from '../src/kadapter/adapter.ts';
import { describeBackend, initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel, saveEncoderCheckpoint, type BaseModel } from '../src/kadapter/base-model.ts';
import { encoderTensors, namedVariables, trainableCopy } from '../src/kadapter/encoder-weights.ts';
import type { Skips } from '../src/kadapter/examples.ts';
import { resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';
import { mulberry32, shuffled } from '../src/kadapter/rng.ts';
import { writeSafetensors } from '../src/kadapter/safetensors.ts';
import { meanStd, pairedBootstrap } from '../src/eval/metrics.ts';
import { rowChart, curveChart, renderPlot } from '../src/eval/plots.ts';
import { liveSource, poolFeatures, type FrozenAdapter } from '../src/eval/pooled.ts';
import { pooledSource, subsetSource, trainProbe, type Combine, type ProbeRun, type ProbeSpec, type RowSource } from '../src/eval/probe.ts';
import { MAIN_METRIC, scoreTask, type Scores } from '../src/eval/score.ts';
import { encodePos, encodeTaskFile, unseenLabels, type TaskExample, type TaskName } from '../src/eval/tasks.ts';
import { writeReport, type Results, type RowResult } from '../src/eval/report.ts';
import { readJsonl } from '../src/util/jsonl.ts';
import { repoRoot } from '../src/util/paths.ts';
import { dependencyDir, dependencySplitFiles } from './dependency-data.ts';
import { factsDir } from './facts-data.ts';
import { runsDir } from './train.ts';
import { assignValues } from '../src/kadapter/variables.ts';

export const SPLITS = ['train', 'dev', 'test'] as const;
export type SplitName = (typeof SPLITS)[number];

/** Where a protocol's report goes: the profile's reports folder, finetune in its own subfolder. */
export function reportsDir(config: Config, protocol = config.eval.protocol): string {
  return protocol === 'frozen' ? config.paths.reportsDir : path.join(config.paths.reportsDir, protocol);
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
export async function pretrainingSentences(config: Config): Promise<Set<string>> {
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

export interface TaskData {
  task: TaskName;
  labels: string[];
  splits: Record<SplitName, TaskExample[]>;
  skipped: Record<string, Skips>;
  source: string;
  unseenTestLabels: Record<string, number>;
  droppedAsSeenInPretraining: Record<string, number>;
}

/** A task's three splits, encoded for the base. */
export async function loadEvalTask(config: Config, base: BaseModel, task: TaskName, seen: Set<string>, trainCap = config.eval.maxTrain[task]): Promise<TaskData> {
  const maxLength = Math.min(config.model.maxLength, base.maxLength);
  const skipped: Record<string, Skips> = { train: {}, dev: {}, test: {} };
  const splits = { train: [], dev: [], test: [] } as Record<SplitName, TaskExample[]>;
  const dropped: Record<string, number> = {};
  const caps: Record<SplitName, number | null> = { train: trainCap, dev: config.eval.maxDev, test: config.eval.maxTest };
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

/** The trained adapters of the first pre-training seed, and the random control beside them. */
export function loadKnowledgeAdapters(config: Config, base: BaseModel): { adapters: FrozenAdapter[]; loaded: Record<string, LoadedAdapter['config']> } {
  const seed0 = config.adapters.seeds[0]!;
  const loaded: Record<string, LoadedAdapter['config']> = {};
  const adapters: FrozenAdapter[] = [];
  for (const name of ['factual', 'linguistic']) {
    const dir = path.join(runsDir(config), name, `seed-${seed0}`, 'adapter');
    if (!fs.existsSync(path.join(dir, 'adapter_config.json'))) {
      throw new UserError(`no trained ${name} adapter in ${dir}: run \`npm run pipeline:train -- --profile ${config.profile}\` first`);
    }
    const a = loadAdapterFiles(dir, base);
    loaded[name] = a.config;
    adapters.push({ name, config: a.config.adapter, weights: a.model.adapter, origin: { dir } });
  }
  // The control: the same architecture, never trained.
  for (const name of ['factual', 'linguistic']) {
    const random = `random-${name}`;
    adapters.push({ name: random, config: loaded[name]!.adapter, weights: initAdapter(loaded[name]!.adapter, RANDOM_SEEDS[random]!), origin: { randomSeed: RANDOM_SEEDS[random]! } });
  }
  return { adapters, loaded };
}

/** Where a run's adapter comes from, recorded beside its task layers. */
export function adapterSources(adapters: FrozenAdapter[], names: string[]): AdapterSource[] {
  return names.map((n) => {
    const a = adapters.find((x) => x.name === n);
    if (!a?.origin) throw new Error(`adapter "${n}" has no recorded origin`);
    if ('randomSeed' in a.origin) return { name: n, randomSeed: a.origin.randomSeed, config: a.config };
    return { name: n, dir: a.origin.dir, ...(a.knockout !== undefined ? { knockout: a.knockout } : {}) };
  });
}

/** One seed of one row: its task layers' run, and (finetune) a way to save the tuned base. */
export interface SeedRun {
  run: ProbeRun;
  saveBase?: (dir: string) => void;
  dispose(): void;
}

/** Trains a row's task layers for a seed, on all training examples or the chosen ones. */
export type RowTrainer = (spec: ProbeSpec, base: RowSpec['base'], seed: number, o: { trainIdx?: number[]; epochs: number }) => SeedRun;

type Score = (split: 'dev' | 'test', out: ProbeRun['test'], idx?: number[]) => Scores;

/** `frozen`: task layers on vectors pooled once per base. */
export function frozenTrainer(config: Config, sources: Record<RowSpec['base'], Record<SplitName, RowSource> | null>, score: Score, main: string): RowTrainer {
  return (spec, base, seed, o) => {
    const s = sources[base];
    if (!s) throw new Error(`no features of the ${base} base`);
    const train = o.trainIdx ? subsetSource(s.train, o.trainIdx) : s.train;
    const run = trainProbe(spec, { epochs: o.epochs, batchSize: config.eval.batchSize, lr: config.eval.lr, weightDecay: config.eval.weightDecay, seed }, train, s.dev, s.test, (_, out) => score('dev', out)[main]!);
    return { run, dispose: () => {} };
  };
}

/**
 * `finetune` (the paper's): every run trains a fresh copy of the base with its task layers; the
 * adapters stay frozen and read the tuned base's states, so the gradient flows through them.
 */
function finetuneTrainer(config: Config, models: Record<RowSpec['base'], BaseModel | null>, adapters: FrozenAdapter[], data: TaskData, score: Score, main: string): RowTrainer {
  return (spec, which, seed, o) => {
    const model = models[which];
    if (!model) throw new Error(`no ${which} base`);
    const weights = trainableCopy(model.weights);
    const src = (split: SplitName) => liveSource(model, adapters, data.splits[split], weights);
    const train = o.trainIdx ? subsetSource(src('train'), o.trainIdx) : src('train');
    const named = namedVariables(weights);
    const cfg = { epochs: o.epochs, batchSize: config.eval.batchSize, lr: config.eval.lr, weightDecay: config.eval.weightDecay, seed };
    const run = trainProbe(spec, cfg, train, src('dev'), src('test'), (_, out) => score('dev', out)[main]!, { params: named, lr: config.eval.finetune.baseLr });
    // The base of the best dev epoch is the one that scored the test set.
    for (const [n, v] of Object.entries(named)) assignValues(v, run.alsoWeights![n]!.data);
    run.alsoWeights = undefined;
    return {
      run,
      saveBase: (dir) => saveEncoderCheckpoint(dir, model, weights, 'finetuned', { seed, task: spec.task, adapters: spec.adapters, combine: spec.combine }),
      dispose: () => tf.dispose(encoderTensors(weights)),
    };
  };
}

/** A configuration of the matrix: a row (or an ablation variant) with one combination. */
export interface MatrixEntry {
  key: string;
  row: RowSpec;
  combine: Combine | null;
}

/** Every seed of each entry: task layers, test scores, saved runs; mean ± std per entry. */
export function runEntries(
  o: {
    task: TaskName;
    data: TaskData;
    trainer: RowTrainer;
    score: Score;
    out: string;
    epochs: number;
    seeds: number[];
    describe: (e: MatrixEntry) => { base: BaseModel; adapters: AdapterSource[] };
    /** finetune: the entries whose tuned base (first seed) is saved. */
    keepBases?: string[];
  },
  entries: MatrixEntry[],
): { rows: RowResult[]; testOutputs: Map<string, ProbeRun['test'][]> } {
  const main = MAIN_METRIC[o.task];
  const rows: RowResult[] = [];
  const testOutputs = new Map<string, ProbeRun['test'][]>();
  for (const entry of entries) {
    const { row, combine, key } = entry;
    const perSeed: RowResult['perSeed'] = [];
    const outputs: ProbeRun['test'][] = [];
    for (const seed of o.seeds) {
      const spec: ProbeSpec = { task: o.task, labels: o.data.labels, adapters: row.adapters, combine: combine ?? 'sum' };
      const r = o.trainer(spec, row.base, seed, { epochs: o.epochs });
      const test = o.score('test', r.run.test);
      perSeed.push({ seed, test, dev: o.score('dev', r.run.dev), bestEpoch: r.run.bestEpoch, seconds: r.run.seconds });
      outputs.push(r.run.test);
      const dir = path.join(o.out, 'runs', o.task, key, `seed-${seed}`);
      const d = o.describe(entry);
      // A tuned base is as large as the base: kept for the first seed of the rows asked for.
      let baseDir: string | null = d.base.dir;
      if (r.saveBase) {
        baseDir = seed === o.seeds[0] && o.keepBases?.includes(key) ? path.join(dir, 'base') : null;
        if (baseDir) r.saveBase(baseDir);
      }
      saveRowRun(dir, { spec, run: r.run, test, data: o.data, base: d.base, baseDir, adapters: d.adapters, row, combine });
      r.dispose();
    }
    testOutputs.set(key, outputs);
    const agg = Object.fromEntries(Object.keys(perSeed[0]!.test).map((m) => [m, meanStd(perSeed.map((s) => s.test[m]!))]));
    rows.push({ key, row: row.id, label: row.label, combine: combine ?? '—', test: agg, perSeed, seconds: perSeed.reduce((a, s) => a + s.seconds, 0) });
    process.stderr.write(`kadapter: ${o.task} ${row.label}${combine ? ` (${combine})` : ''}: test ${main} ${(100 * agg[main]!.mean).toFixed(2)} ± ${(100 * agg[main]!.std).toFixed(2)}\n`);
  }
  return { rows, testOutputs };
}

/** The vectors of a base (and the adapters it is read with) pooled per split. */
export async function pooledSplits(model: BaseModel, adapters: FrozenAdapter[], data: TaskData, label: string): Promise<Record<SplitName, RowSource>> {
  const out = {} as Record<SplitName, RowSource>;
  for (const split of SPLITS) out[split] = pooledSource(data.splits[split], await poolFeatures(model, adapters, data.splits[split], `${label} ${split}`));
  return out;
}

export async function runEvaluateStage(config: Config, opts: { force: boolean }): Promise<void> {
  const started = Date.now();
  const protocol = config.eval.protocol;
  const backend = await initBackend(config.backend);
  process.stderr.write(`kadapter: backend ${describeBackend(backend)}; protocol ${protocol}\n`);
  const base = loadBaseModel(resolveBaseModelDir(config));
  const { adapters, loaded } = loadKnowledgeAdapters(config, base);
  const mtDir = path.join(runsDir(config), 'multitask', `seed-${config.adapters.seeds[0]!}`, 'model');
  const multitask = fs.existsSync(path.join(mtDir, 'model.safetensors')) ? loadBaseModel(mtDir) : null;
  if (!multitask) process.stderr.write(`kadapter: no multi-task baseline in ${mtDir}: its row is left out (train it with --adapter multitask)\n`);
  const models = { base, multitask };

  const seen = await pretrainingSentences(config);
  const out = reportsDir(config);
  if (opts.force) fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const frozen = protocol === 'frozen';
  const epochs = frozen ? config.eval.epochs : config.eval.finetune.epochs;
  const seeds = frozen ? config.eval.seeds : (config.eval.finetune.seeds ?? config.eval.seeds);
  const results: Results = {
    profile: config.profile,
    protocol,
    base: { name: base.name, parameters: base.parameters, layers: base.config.layers, hidden: base.config.hidden },
    backend: describeBackend(backend),
    adapters: loaded,
    seeds,
    tasks: {},
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    seconds: 0,
  };

  for (const task of config.eval.tasks) {
    const data = await loadEvalTask(config, base, task, seen, frozen ? config.eval.maxTrain[task] : (config.eval.finetune.maxTrain ?? config.eval.maxTrain[task]));
    process.stderr.write(
      `kadapter: ${task}: ${data.splits.train.length}/${data.splits.dev.length}/${data.splits.test.length} examples from ${data.source}; ${data.labels.length} labels; ` +
        `dropped as seen in adapter pre-training ${JSON.stringify(data.droppedAsSeenInPretraining)}; unseen test labels ${JSON.stringify(data.unseenTestLabels)}\n`,
    );
    const main = MAIN_METRIC[task];
    const score: Score = (split, o, idx) => scoreTask(task, data.labels, data.splits[split], o, idx);
    const poolStarted = Date.now();
    let trainer: RowTrainer;
    if (frozen) {
      const sources: Record<RowSpec['base'], Record<SplitName, RowSource> | null> = { base: await pooledSplits(base, adapters, data, `${task} base`), multitask: null };
      if (multitask) sources.multitask = await pooledSplits(multitask, [], data, `${task} multitask`);
      trainer = frozenTrainer(config, sources, score, main);
    } else trainer = finetuneTrainer(config, models, adapters, data, score, main);
    const poolSeconds = (Date.now() - poolStarted) / 1000;
    const entries = ROWS.filter((row) => models[row.base]).flatMap((row): MatrixEntry[] =>
      row.adapters.length ? config.eval.combines.map((c) => ({ key: `${row.id}-${c}`, row, combine: c })) : [{ key: row.id, row, combine: null }],
    );
    const describe = (e: MatrixEntry) => ({ base: models[e.row.base]!, adapters: adapterSources(adapters, e.row.adapters) });
    const { rows, testOutputs } = runEntries({ task, data, trainer, score, out, epochs, seeds, describe, keepBases: config.eval.finetune.keepBases }, entries);
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
    if (task === 'relation') {
      for (const k of [...config.eval.perRelation, 'all' as const]) {
        for (const row of ROWS.filter((r) => r.base === 'base')) {
          const scores: number[] = [];
          for (const seed of seeds) {
            const idx = k === 'all' ? undefined : perRelationSubset(data.splits.train, k, seed);
            const spec: ProbeSpec = { task, labels: data.labels, adapters: row.adapters, combine: config.eval.combines[0]! };
            // Few examples, few steps: more epochs so that every size sees a similar number of updates.
            const n = idx?.length ?? data.splits.train.length;
            const ep = Math.min(60, k === 'all' ? epochs : Math.max(epochs, Math.ceil((epochs * data.splits.train.length) / Math.max(n, 1) / 4)));
            const r = trainer(spec, row.base, seed, { trainIdx: idx, epochs: ep });
            scores.push(score('test', r.run.test)[main]!);
            r.dispose();
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
  await writeReport(out, results, { rowChart, curveChart, renderPlot });
  process.stdout.write(`${fs.readFileSync(path.join(out, 'report.md'), 'utf8')}\n`);
}

export const PROBE_FORMAT = 'kadapter-probe/1';

/** Where a run's adapter comes from: a trained folder (perhaps with a layer knocked out), or the random control's seed and shape. */
export type AdapterSource = { name: string; dir: string; knockout?: number } | { name: string; randomSeed: number; config: AdapterConfig };

export interface ProbeFile {
  format: typeof PROBE_FORMAT;
  spec: ProbeSpec;
  row: RowSpec;
  combine: string | null;
  /** The base the vectors came from: the model's folder, or under `finetune` the run's tuned base (null: not kept). */
  base: { dir: string | null; name: string; hidden: number };
  adapters: AdapterSource[];
}

function saveRowRun(
  dir: string,
  o: { spec: ProbeSpec; run: ProbeRun; test: Scores; data: TaskData; base: BaseModel; baseDir: string | null; adapters: AdapterSource[]; row: RowSpec; combine: string | null },
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
    `${JSON.stringify({ format: PROBE_FORMAT, spec: o.spec, row: o.row, combine: o.combine, base: { dir: o.baseDir, name: o.base.name, hidden: o.base.config.hidden }, adapters: o.adapters } satisfies ProbeFile, null, 2)}\n`,
  );
}
