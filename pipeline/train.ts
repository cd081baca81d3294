// Stage `train`: the factual and linguistic adapters on the frozen base.
//   inputs   facts/{train,dev}.jsonl + relations.json; dependency/train-*.jsonl (the linguistic
//            adapter's dev set is a held-out slice of it, src/data/splits.ts); the base model
//   steps    encode examples (counted skips) → feature cache of the base's hidden states (once) →
//            jobs (each adapter seed, the multi-task baseline), one a core in processes of their
//            own (train-jobs.ts): train from the cache, evaluate on dev each epoch → run folder
//   outputs  <build>/runs/<adapter>/seed-<s>/{adapter/, metrics.jsonl, predictions-dev.jsonl, summary.json}
//            <build>/runs/manifest.json
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import {
  DependencyExample,
  RelationExample,
  type EncodedDependency,
  type EncodedExample,
  type EncodedRelation,
} from '../src/data/schemas.ts';
import {
  evaluateMultitask,
  saveMultitaskCheckpoint,
  trainMultitask,
  type MultitaskData,
} from '../src/kadapter/multitask.ts';
import { RelationsFile, TrainRunSummary, type AdapterConfig } from '../src/data/files.ts';
import { UserError } from '../src/util/errors.ts';
import { readJsonFile } from '../src/util/json-file.ts';
import { saveAdapterFiles } from '../src/kadapter/adapter-files.ts';
import { describeBackend, initBackend } from '../src/kadapter/backend.ts';
import { baseWeightsSha256, loadBaseModel, type BaseModel } from '../src/kadapter/base-model.ts';
import { encodeDependency, encodeRelation, type Skips } from '../src/kadapter/examples.ts';
import { buildFeatureCache, FeatureCache } from '../src/kadapter/features.ts';
import type { HeadConfig } from '../src/kadapter/heads.ts';
import { resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';
import { formatMetrics, type DevMetrics } from '../src/kadapter/dev-eval.ts';
import type { AdapterRunSpec } from '../src/kadapter/forward.ts';
import { evaluateAdapter, trainAdapter } from '../src/kadapter/train.ts';
import { adapterConfigFor, maxTrainFor, trainConfigFor } from '../src/kadapter/run-config.ts';
import type { TrainResult } from '../src/kadapter/training-loop.ts';
import { readJsonLines, removeStaleTemps, writeFileAtomic } from '../src/util/jsonl.ts';
import { hashOf } from '../src/util/manifest.ts';
import { formatTable } from '../src/util/table.ts';
import { relationMicro } from '../src/util/metrics.ts';
import { dependencyDir, dependencySplitFiles, factsDir, runsDir } from '../src/data/layout.ts';
import { isLinguisticDev } from '../src/data/splits.ts';
import { BottomK, countBy, sampleRank, sampleStream } from '../src/util/sample.ts';
import {
  ADAPTER_NAMES,
  jobLabel,
  readJobSpec,
  runJobsInWorkers,
  trainJobs,
  trainWorkers,
  type AdapterName,
  type TrainJob,
} from './train-jobs.ts';

export { ADAPTER_NAMES, type AdapterName };

type KnowledgeAdapter = Exclude<AdapterName, 'multitask'>;
const KNOWLEDGE: KnowledgeAdapter[] = ['factual', 'linguistic'];

const TASK: Record<KnowledgeAdapter, AdapterRunSpec['task']> = { factual: 'relation', linguistic: 'dependency' };

/** The head that pre-trains a knowledge adapter: relation classes (factual) or dependency heads (linguistic). */
export function knowledgeHead(
  config: Config,
  base: BaseModel,
  name: KnowledgeAdapter,
  data: KnowledgeData,
): HeadConfig {
  return name === 'factual'
    ? { kind: 'relation', hidden: base.config.hidden, fuse: true, labels: data.labels! }
    : { kind: 'dependency', hidden: base.config.hidden, fuse: true, scoreDim: config.adapters.headScoreDim };
}

/** The base layers a knowledge adapter's feature cache holds: the layers it reads and the last one. */
export const featureLayers = (readLayers: number[], lastLayer: number): number[] =>
  [...new Set([...readLayers, lastLayer])].sort((a, b) => a - b);

/** One pre-training seed's run of a knowledge adapter. */
export const knowledgeRunSpec = (
  name: KnowledgeAdapter,
  adapter: AdapterRunSpec['adapter'],
  head: HeadConfig,
  lastLayer: number,
  seed: number,
): AdapterRunSpec => ({ task: TASK[name], adapter, head, lastLayer, seed });

export function featuresDir(config: Config, base: BaseModel): string {
  return path.join(config.paths.buildDir, 'features', path.basename(base.dir));
}

export interface TrainStageOptions {
  adapters: AdapterName[];
  force: boolean;
}

interface KnowledgeData {
  labels?: string[];
  splits: Record<'train' | 'dev', EncodedExample[]>;
  skips: Record<string, Skips>;
  /** Rows read per split (all of them: a capped split is a sample of every row). */
  read: Record<string, number>;
  /** Examples kept per split and source (the mix of the sample). */
  sourceMix: Record<'train' | 'dev', Record<string, number>>;
}

/**
 * Examples of one adapter's task, encoded for the base; what could not be encoded is counted.
 * Only dependency-train sentences (src/data/splits.ts): the factual adapter reads facts/train and
 * facts/dev (aligned in dependency-train sentences only), the linguistic adapter the dependency
 * train shards, split by a fixed hash of the id into its train data and its dev slice. The caps
 * (adapters.maxTrain or byAdapter.<name>.maxTrain, adapters.maxDev) keep a seeded sample by hash of the id (adapters.sampleSeed), streamed.
 */
export async function loadKnowledgeData(
  config: Config,
  base: BaseModel,
  name: KnowledgeAdapter,
): Promise<KnowledgeData> {
  const maxLength = Math.min(config.model.maxLength, base.maxLength);
  const skips: Record<string, Skips> = { train: {}, dev: {} };
  const read: Record<string, number> = { train: 0, dev: 0 };
  const splits = { train: [] as EncodedExample[], dev: [] as EncodedExample[] };
  const sourceMix = { train: {}, dev: {} } as KnowledgeData['sourceMix'];
  const limit = { train: maxTrainFor(config, name), dev: config.adapters.maxDev };
  const seed = config.adapters.sampleSeed;
  const keep = (split: 'train' | 'dev', kept: { example: EncodedExample; source: string }[]) => {
    splits[split] = kept.map((k) => k.example);
    sourceMix[split] = countBy(kept, (k) => k.source);
  };
  let labels: string[] | undefined;
  if (name === 'factual') {
    const dir = factsDir(config);
    const relFile = path.join(dir, 'relations.json');
    if (!fs.existsSync(relFile))
      throw new UserError(
        `no relation data in ${dir}: run \`npm run pipeline:build-data -- --profile ${config.profile}\` first`,
      );
    labels = readJsonFile(relFile, RelationsFile).map((r) => r.id);
    if (!labels.includes('no_relation')) labels.push('no_relation');
    const index = new Map(labels.map((l, i) => [l, i]));
    for (const split of ['train', 'dev'] as const) {
      const file = path.join(dir, `${split}.jsonl`);
      const { items, offered } = await sampleStream(readJsonLines(file, RelationExample, skips[split]!), {
        cap: limit[split],
        seed,
        idOf: (row) => row.id,
        make: (row) => {
          const example = encodeRelation(row, base.tokenizer, index, maxLength, skips[split]!);
          return example && { example, source: row.source };
        },
      });
      read[split] = offered;
      keep(split, items);
    }
  } else {
    const dir = dependencyDir(config);
    const files = dependencySplitFiles(config, 'train');
    if (files.length === 0)
      throw new UserError(
        `no dependency data in ${dir}: run \`npm run pipeline:build-data -- --profile ${config.profile}\` first`,
      );
    // One pass over the train shards feeds both samples: each row is the dev slice's or train's.
    const samples = {
      train: new BottomK<{ example: EncodedExample; source: string }>(limit.train),
      dev: new BottomK<{ example: EncodedExample; source: string }>(limit.dev),
    };
    for (const f of files) {
      for await (const row of readJsonLines(f, DependencyExample, skips.train!)) {
        const split = isLinguisticDev(row.id) ? 'dev' : 'train';
        read[split]!++;
        const rank = sampleRank(seed, row.id);
        if (!samples[split].wouldKeep(rank, row.id)) continue;
        const example = encodeDependency(row, base.tokenizer, maxLength, skips[split]!);
        if (example) samples[split].offer(rank, { example, source: row.source }, row.id);
      }
    }
    for (const split of ['train', 'dev'] as const) keep(split, samples[split].sorted());
  }
  for (const split of ['train', 'dev'] as const) {
    if (splits[split].length === 0)
      throw new UserError(
        `${name}: the ${split} split has no usable example (read ${read[split] ?? 0}; skipped ${JSON.stringify(skips[split])})`,
      );
  }
  return { labels, splits, skips, read, sourceMix };
}

/** Caches of one task's train and dev features (built once, reused by every seed and variant). */
export async function taskFeatures(
  config: Config,
  base: BaseModel,
  name: KnowledgeAdapter,
  data: KnowledgeData,
  layers: number[],
  backend: string,
) {
  const caches: Record<string, FeatureCache> = {};
  for (const split of ['train', 'dev'] as const) {
    const dir = path.join(featuresDir(config, base), name, split);
    const key = hashOf({
      // By its weights, not its name: two folders of one name, or a refetch at another revision.
      base: baseWeightsSha256(base),
      hidden: base.config.hidden,
      layers,
      dtype: config.adapters.featureDtype,
      examples: hashOf(data.splits[split]),
    });
    await buildFeatureCache({
      dir,
      model: base,
      examples: data.splits[split],
      spec: { layers, dtype: config.adapters.featureDtype, shardSize: config.adapters.featureShardSize },
      key,
      backend,
      label: `features ${name}/${split}`,
    });
    caches[split] = new FeatureCache(dir);
  }
  return caches as { train: FeatureCache; dev: FeatureCache };
}

/** The score a model gets by always predicting the most frequent training label / by chance. */
export function trivialBaselines(name: KnowledgeAdapter, data: KnowledgeData): Record<string, DevMetrics> {
  if (name === 'factual') {
    const counts = new Map<number, number>();
    for (const e of data.splits.train) if (e.task === 'relation') counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
    const majority = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const dev = data.splits.dev.filter((e) => e.task === 'relation');
    const gold = dev.map((e) => data.labels![e.label]!);
    const majLabel = data.labels![majority]!;
    // A fixed seeded draw, uniform over the labels, stands for chance.
    let s = 7;
    const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const randomPred = gold.map(() => data.labels![Math.floor(rand() * data.labels!.length)]!);
    const micro = (pred: string[]) => relationMicro(gold, pred).f1;
    return {
      majority: {
        examples: dev.length,
        loss: NaN,
        microF1: micro(gold.map(() => majLabel)),
        accuracy: gold.filter((g) => g === majLabel).length / gold.length,
      },
      random: {
        examples: dev.length,
        loss: NaN,
        microF1: micro(randomPred),
        accuracy: randomPred.filter((p, i) => p === gold[i]).length / gold.length,
      },
    };
  }
  // Heads: "attach to the next word" (a strong trivial baseline for English) and uniform random
  // over the candidate positions.
  let words = 0;
  let next = 0;
  let expectedRandom = 0;
  for (const e of data.splits.dev) {
    if (e.task !== 'dependency') continue;
    e.heads.forEach((h, w) => {
      if (h < 0) return;
      words++;
      if (h === (e.firsts[w + 1] ?? 0)) next++;
      expectedRandom += 1 / (e.firsts.length + 1);
    });
  }
  return {
    'next word (last → ROOT)': { examples: data.splits.dev.length, loss: NaN, uas: next / words, words },
    random: { examples: data.splits.dev.length, loss: NaN, uas: expectedRandom / words, words },
  };
}

/** What every job of a stage shares: the base, the settings, and each task's data, loaded once. */
interface JobContext {
  config: Config;
  base: BaseModel;
  backend: string;
  adapterCfg: AdapterConfig;
  /** Each task's data, loaded once per process. */
  dataFor(name: KnowledgeAdapter): Promise<KnowledgeData>;
  /** Each task's feature caches, built (or checked) once per process. */
  featuresFor(name: KnowledgeAdapter): ReturnType<typeof taskFeatures>;
}

/** `make` once per key; later calls share its promise. */
function memo<K, V>(make: (key: K) => Promise<V>): (key: K) => Promise<V> {
  const made = new Map<K, Promise<V>>();
  return (key) => made.get(key) ?? made.set(key, make(key)).get(key)!;
}

async function jobContext(config: Config, onData?: (name: KnowledgeAdapter, d: KnowledgeData) => void) {
  const backend = await initBackend(config.backend);
  const base = loadBaseModel(resolveBaseModelDir(config));
  const adapterCfg = adapterConfigFor(config, base);
  const dataFor = memo(async (name: KnowledgeAdapter) => {
    const data = await loadKnowledgeData(config, base, name);
    onData?.(name, data);
    return data;
  });
  const layers = featureLayers(adapterCfg.readLayers, base.config.layers);
  const featuresFor = memo(async (name: KnowledgeAdapter) =>
    taskFeatures(config, base, name, await dataFor(name), layers, backend.name),
  );
  const ctx: JobContext = { config, base, backend: backend.name, adapterCfg, dataFor, featuresFor };
  return { ctx, backend };
}

const jobDir = (config: Config, j: TrainJob) => path.join(runsDir(config), j.adapter, `seed-${j.seed}`);

export async function runTrainStage(config: Config, opts: TrainStageOptions): Promise<void> {
  const manifest: Record<string, unknown> = {
    stage: 'train',
    profile: config.profile,
    runs: [] as unknown[],
    /** Per task: examples, rows read, skips and the source mix of each split's sample. */
    data: {} as Record<string, unknown>,
    startedAt: new Date().toISOString(),
  };
  const { ctx, backend } = await jobContext(config, (name, data) => {
    process.stderr.write(
      `kadapter: ${name}: ${data.splits.train.length} train / ${data.splits.dev.length} dev examples; skipped ${JSON.stringify(data.skips)}\n`,
    );
    (manifest.data as Record<string, unknown>)[name] = dataSummary(data);
  });
  const { base, adapterCfg } = ctx;
  process.stderr.write(`kadapter: backend ${describeBackend(backend)}\n`);
  Object.assign(manifest, {
    base: {
      name: base.name,
      dir: base.dir,
      parameters: base.parameters,
      layers: base.config.layers,
      hidden: base.config.hidden,
    },
    backend: describeBackend(backend),
    adapter: adapterCfg,
    training: {
      ...trainConfigFor(config),
      byAdapter: config.adapters.byAdapter,
      multitaskEpochs: config.adapters.multitaskEpochs,
    },
  });
  // A run killed while writing leaves temp files (checkpoint folders, atomic writes): a resumed run starts clean.
  const stale = removeStaleTemps(runsDir(config));
  if (stale > 0) process.stderr.write(`kadapter: train: removed ${stale} temp file(s) left by an earlier run\n`);
  const jobs = trainJobs(opts.adapters, config.adapters.seeds);
  if (opts.force) for (const j of jobs) fs.rmSync(jobDir(config, j), { recursive: true, force: true });
  // Before any job starts: the data of each task a job reads (the multi-task baseline reads both;
  // the manifest records each). The adapters' feature caches are built next; with a second core
  // the multi-task baseline, which reads no cache, trains beside them.
  const multitask = jobs.some((j) => j.adapter === 'multitask');
  const trained = KNOWLEDGE.filter((name) => jobs.some((j) => j.adapter === name));
  for (const name of KNOWLEDGE) if (trained.includes(name) || multitask) await ctx.dataFor(name);
  const caches = async () => {
    for (const name of trained) await ctx.featuresFor(name);
  };
  const workers = trainWorkers(jobs.length);
  if (workers > 1)
    await runJobsInWorkers(config, jobs, workers, { promise: caches(), needs: (j) => j.adapter !== 'multitask' });
  else {
    await caches();
    for (const j of jobs) await runJob(ctx, j);
  }

  const rows: Record<string, unknown>[] = [];
  const listed = (j: TrainJob) => ADAPTER_NAMES.indexOf(j.adapter);
  for (const j of [...jobs].sort((a, b) => listed(a) - listed(b) || a.seed - b.seed)) {
    const runDir = jobDir(config, j);
    const s = readJsonFile(path.join(runDir, 'summary.json'), TrainRunSummary);
    (manifest.runs as unknown[]).push({
      adapter: j.adapter,
      seed: j.seed,
      dir: path.relative(config.paths.buildDir, runDir),
      dev: s.dev,
      seconds: s.seconds,
      ...(j.adapter === 'multitask' ? {} : { parameters: s.parameters }),
    });
    rows.push({
      adapter: j.adapter === 'multitask' ? 'multitask (base trained)' : j.adapter,
      seed: j.seed,
      ...scoreColumns(s.dev),
      seconds: Math.round(s.seconds),
      ...(s.parameters.adapter === undefined ? {} : { 'adapter params': s.parameters.adapter }),
      'base params': s.parameters.base,
    });
    for (const [b, m] of Object.entries(s.baselines ?? {}))
      rows.push({ adapter: `${j.adapter}: ${b}`, seed: '', ...scoreColumns(m) });
  }
  manifest.finishedAt = new Date().toISOString();
  fs.mkdirSync(runsDir(config), { recursive: true });
  fs.writeFileSync(path.join(runsDir(config), 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`${formatTable(rows as never)}\n`);
}

/** `kadapter train-job <spec>`: one job of a train stage, in a process of its own (train-jobs.ts). */
export async function runTrainJobCommand(specFile: string): Promise<void> {
  const { config, job } = readJobSpec(specFile);
  const { ctx } = await jobContext(config);
  await runJob(ctx, job);
}

/** Trains one job to the end (resuming its checkpoint) and writes its run folder, summary.json last. */
async function runJob(ctx: JobContext, job: TrainJob): Promise<void> {
  if (job.adapter === 'multitask') return runMultitask(ctx, job.seed);
  const { config, base, adapterCfg } = ctx;
  const name = job.adapter;
  const trainCfg = trainConfigFor(config, name);
  const L = base.config.layers;
  const data = await ctx.dataFor(name);
  const caches = await ctx.featuresFor(name);
  const head = knowledgeHead(config, base, name, data);
  const runDir = jobDir(config, job);
  const spec = knowledgeRunSpec(name, adapterCfg, head, L, job.seed);
  const { model, result } = await trainAdapter({
    spec,
    config: trainCfg,
    train: caches.train,
    dev: caches.dev,
    runDir,
    label: `train ${jobLabel(job)}`,
  });
  const { metrics, predictions } = await evaluateAdapter(model, spec, caches.dev, trainCfg.batchSize * 2, head.labels);
  fs.writeFileSync(
    path.join(runDir, 'predictions-dev.jsonl'),
    predictions.map((p) => `${JSON.stringify(p)}\n`).join(''),
  );
  const files = saveAdapterFiles(path.join(runDir, 'adapter'), {
    name,
    task: TASK[name],
    model,
    adapter: adapterCfg,
    head,
    base,
    lastLayer: L,
    training: { seed: job.seed, ...trainCfg, steps: result.steps, seconds: result.seconds, dev: metrics },
  });
  const summary = {
    adapter: name,
    seed: job.seed,
    parameters: files.parameters,
    ...trainingFields(result),
    dev: metrics,
    baselines: trivialBaselines(name, data),
    data: dataSummary(data),
    features: { train: caches.train.manifest, dev: caches.dev.manifest },
  };
  writeFileAtomic(path.join(runDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stderr.write(`kadapter: ${jobLabel(job)}: dev ${formatMetrics(metrics)} (${result.seconds.toFixed(0)} s)\n`);
}

/** The multi-task baseline: the base itself trained on both tasks, saved as a checkpoint. */
async function runMultitask(ctx: JobContext, seed: number): Promise<void> {
  const { config, base } = ctx;
  // The shared settings, with each task's epochs from its adapter (the same steps as both adapters)
  // or adapters.multitaskEpochs of each.
  const fixed = config.adapters.multitaskEpochs;
  const epochs = {
    relation: fixed ?? trainConfigFor(config, 'factual').epochs,
    dependency: fixed ?? trainConfigFor(config, 'linguistic').epochs,
  };
  const trainCfg = { ...trainConfigFor(config), epochs: Math.max(epochs.relation, epochs.dependency) };
  const factual = await ctx.dataFor('factual');
  const linguistic = await ctx.dataFor('linguistic');
  const data: MultitaskData = {
    labels: factual.labels!,
    relation: { train: factual.splits.train as EncodedRelation[], dev: factual.splits.dev as EncodedRelation[] },
    dependency: {
      train: linguistic.splits.train as EncodedDependency[],
      dev: linguistic.splits.dev as EncodedDependency[],
    },
    // Only where they differ, so that a run with equal epochs keeps its checkpoint's hash.
    ...(epochs.relation === epochs.dependency ? {} : { epochs }),
  };
  const runDir = jobDir(config, { adapter: 'multitask', seed });
  const { model, result } = await trainMultitask({
    base,
    data,
    config: trainCfg,
    seed,
    scoreDim: config.adapters.headScoreDim,
    runDir,
    label: `train multitask seed ${seed}`,
  });
  const dev = await evaluateMultitask(model, base, data, trainCfg.batchSize * 2);
  saveMultitaskCheckpoint(path.join(runDir, 'model'), base, model, {
    seed,
    steps: result.steps,
    seconds: result.seconds,
  });
  const summary = {
    adapter: 'multitask',
    seed,
    ...trainingFields(result),
    dev,
    parameters: { base: base.parameters },
  };
  writeFileAtomic(path.join(runDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  process.stderr.write(
    `kadapter: multitask seed ${seed}: dev ${formatMetrics({ ...dev, uas: undefined })}; UAS ${(100 * dev.uas!).toFixed(2)} (${result.seconds.toFixed(0)} s)\n`,
  );
}

/** How a run trained, for its summary.json. */
const trainingFields = (r: TrainResult) => ({
  steps: r.steps,
  seconds: r.seconds,
  examplesPerSecond: r.examplesPerSecond,
  resumedFromStep: r.resumedFromStep,
  devByEpoch: r.dev,
});

/** What a run trained and was checked on: counts, rows read, skips, and each split's source mix. */
function dataSummary(data: KnowledgeData) {
  return {
    train: data.splits.train.length,
    dev: data.splits.dev.length,
    read: data.read,
    skipped: data.skips,
    sourceMix: data.sourceMix,
  };
}

function scoreColumns(m: Pick<DevMetrics, 'microF1' | 'macroF1' | 'uas'>): Record<string, string> {
  const pct = (x: number | undefined) => (x === undefined ? '' : (100 * x).toFixed(2));
  return { 'dev micro-F1': pct(m.microF1), 'dev macro-F1': pct(m.macroF1), 'dev UAS': pct(m.uas) };
}
