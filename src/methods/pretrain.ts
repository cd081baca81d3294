// Pre-training on the knowledge tasks, shared by the train stage, the library API and the scripts:
// a task's feature caches, an adapter's run (train, dev predictions, adapter folder, summary) and
// the multi-task base's run. The stage decides which runs; this module says how one runs.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { EncodedExample } from '../data/schemas.ts';
import { baseWeightsSha256, type BaseModel } from '../kadapter/base-model.ts';
import type { DevMetrics } from '../kadapter/dev-eval.ts';
import { buildFeatureCache, FeatureCache } from '../kadapter/features.ts';
import type { TrainConfig, TrainResult } from '../kadapter/training-loop.ts';
import { knowledgeTasks, taskOfAdapter, type KnowledgeData, type KnowledgeTask } from '../tasks/knowledge/index.ts';
import { maxTrainFor, type KnowledgeAdapterName } from '../kadapter/run-config.ts';
import {
  describeMultitask,
  evaluateMultitask,
  saveMultitaskCheckpoint,
  trainMultitask,
  type MultitaskData,
} from '../tasks/knowledge/multitask.ts';
import { writeFileAtomic } from '../util/jsonl.ts';
import { hashOf } from '../util/manifest.ts';
import { saveAdapterFiles } from './files.ts';
import { method, type BaseShape } from './index.ts';
import { disposeKnowledgeModel, type AdapterRunSpec } from './knowledge-model.ts';
import { evaluateAdapter, trainAdapter } from './train.ts';

export const baseShape = (base: BaseModel): BaseShape => ({
  hidden: base.config.hidden,
  layers: base.config.layers,
  layerNormEps: base.config.layerNormEps,
});

/** The profile's adapter settings for a base, as its method's file config (with `architecture`). */
export function adapterSettingsFor(config: Config, base: BaseModel): AdapterRunSpec['adapter'] {
  const m = method(config.adapters.method);
  return m.fileConfig(m.configFor(config, baseShape(base)));
}

/** The base layers a knowledge adapter's feature cache holds: the layers it reads and the last one. */
export const featureLayers = (readLayers: readonly number[], lastLayer: number): number[] =>
  [...new Set([...readLayers, lastLayer])].sort((a, b) => a - b);

/** The base layers an adapter of these settings reads. */
export function readLayersOf(adapter: AdapterRunSpec['adapter']): readonly number[] {
  const m = method(adapter.architecture);
  return m.readLayers(m.fileSchema.parse(adapter));
}

/** One pre-training seed's run of a knowledge task's adapter: its head fuses the adapter with h_L. */
export function knowledgeRunSpec(
  config: Config,
  base: BaseModel,
  task: KnowledgeTask,
  data: KnowledgeData,
  adapter: AdapterRunSpec['adapter'],
  seed: number,
): AdapterRunSpec {
  return { adapter, head: task.head(config, base.config.hidden, data, true), lastLayer: base.config.layers, seed };
}

export const featuresDir = (config: Config, base: BaseModel): string =>
  path.join(config.paths.buildDir, 'features', path.basename(base.dir));

/** Caches of a task's train and dev features in `dir` (built once, reused by every seed and variant). */
export async function taskFeatures(o: {
  dir: string;
  config: Config;
  base: BaseModel;
  splits: Record<'train' | 'dev', EncodedExample[]>;
  layers: number[];
  backend: string;
  label: string;
}): Promise<{ train: FeatureCache; dev: FeatureCache }> {
  const caches: Record<string, FeatureCache> = {};
  for (const split of ['train', 'dev'] as const) {
    const dir = path.join(o.dir, split);
    const key = hashOf({
      // By its weights, not its name: two folders of one name, or a refetch at another revision.
      base: baseWeightsSha256(o.base),
      hidden: o.base.config.hidden,
      layers: o.layers,
      dtype: o.config.adapters.featureDtype,
      examples: hashOf(o.splits[split]),
    });
    await buildFeatureCache({
      dir,
      model: o.base,
      examples: o.splits[split],
      spec: { layers: o.layers, dtype: o.config.adapters.featureDtype, shardSize: o.config.adapters.featureShardSize },
      key,
      backend: o.backend,
      label: `${o.label}/${split}`,
    });
    caches[split] = new FeatureCache(dir);
  }
  return caches as { train: FeatureCache; dev: FeatureCache };
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
export const dataSummary = (data: KnowledgeData) => ({
  train: data.splits.train.length,
  dev: data.splits.dev.length,
  read: data.read,
  skipped: data.skips,
  sourceMix: data.sourceMix,
});

/** Every task's columns of a table row ('' where the metrics lack a task's scores). */
export const scoreColumns = (m: Partial<DevMetrics>): Record<string, string> =>
  Object.assign({}, ...knowledgeTasks().map((t) => t.columns(m)));

/**
 * Trains one adapter to the end (resuming its checkpoint) and writes its run folder: dev
 * predictions, the adapter folder, and summary.json last. Returns the dev metrics.
 */
export async function runAdapter(o: {
  name: string;
  task: KnowledgeTask;
  data: KnowledgeData;
  caches: { train: FeatureCache; dev: FeatureCache };
  spec: AdapterRunSpec;
  training: TrainConfig;
  base: BaseModel;
  runDir: string;
  label: string;
  log?: (line: string) => void;
  /** Fields of summary.json besides the run's own. */
  summary?: Record<string, unknown>;
}): Promise<{ dev: DevMetrics; adapterDir: string; result: TrainResult }> {
  const { model, result } = await trainAdapter({
    spec: o.spec,
    config: o.training,
    train: o.caches.train,
    dev: o.caches.dev,
    runDir: o.runDir,
    label: o.label,
    log: o.log,
  });
  try {
    const { metrics, predictions } = await evaluateAdapter(model, o.caches.dev, o.training.batchSize * 2);
    fs.writeFileSync(
      path.join(o.runDir, 'predictions-dev.jsonl'),
      predictions.map((p) => `${JSON.stringify(p)}\n`).join(''),
    );
    const adapterDir = path.join(o.runDir, 'adapter');
    const files = saveAdapterFiles(adapterDir, {
      name: o.name,
      task: o.task.name,
      adapter: model.adapter,
      head: model.head,
      base: o.base,
      lastLayer: o.spec.lastLayer,
      training: { seed: o.spec.seed, ...o.training, steps: result.steps, seconds: result.seconds, dev: metrics },
    });
    const summary = {
      adapter: o.name,
      seed: o.spec.seed,
      parameters: files.parameters,
      ...trainingFields(result),
      dev: metrics,
      ...o.summary,
    };
    writeFileAtomic(path.join(o.runDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return { dev: metrics, adapterDir, result };
  } finally {
    // The files are the result; the variables are freed once written.
    disposeKnowledgeModel(model);
  }
}

/** The multi-task baseline's run: the base itself trained on every task, saved as a checkpoint. */
export async function runMultitask(o: {
  base: BaseModel;
  data: MultitaskData;
  training: TrainConfig;
  seed: number;
  runDir: string;
  label: string;
}): Promise<{ dev: DevMetrics; line: string }> {
  const { model, result } = await trainMultitask({
    base: o.base,
    data: o.data,
    config: o.training,
    seed: o.seed,
    runDir: o.runDir,
    label: o.label,
  });
  const dev = await evaluateMultitask(model, o.base, o.data, o.training.batchSize * 2);
  saveMultitaskCheckpoint(path.join(o.runDir, 'model'), o.base, model, {
    seed: o.seed,
    steps: result.steps,
    seconds: result.seconds,
  });
  const summary = {
    adapter: 'multitask',
    seed: o.seed,
    ...trainingFields(result),
    dev,
    parameters: { base: o.base.parameters },
  };
  writeFileAtomic(path.join(o.runDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return { dev, line: `${describeMultitask(o.data, dev)} (${result.seconds.toFixed(0)} s)` };
}

/** A knowledge adapter's task and data on the build, the adapter settings, the layers to cache, and its run spec per seed. */
export async function knowledgeTaskData(config: Config, base: BaseModel, adapter: KnowledgeAdapterName) {
  const task = taskOfAdapter(adapter);
  const settings = adapterSettingsFor(config, base);
  const data = await task.loadBuild(config, base, maxTrainFor(config, adapter));
  const layers = featureLayers(readLayersOf(settings), base.config.layers);
  const spec = (seed: number) => knowledgeRunSpec(config, base, task, data, settings, seed);
  return { task, settings, data, layers, spec };
}

/** A knowledge adapter's feature caches in the build (features/<base>/<adapter>), as the train stage keeps them. */
export const adapterFeatures = (
  config: Config,
  base: BaseModel,
  adapter: string,
  splits: Record<'train' | 'dev', EncodedExample[]>,
  layers: number[],
  backend: string,
) =>
  taskFeatures({
    dir: path.join(featuresDir(config, base), adapter),
    config,
    base,
    splits,
    layers,
    backend,
    label: `features ${adapter}`,
  });

/**
 * The same with the train stage's feature caches: what the scripts (tuning, benchmarks) start
 * from, as the train stage does.
 */
export async function knowledgeSetup(config: Config, base: BaseModel, adapter: KnowledgeAdapterName, backend: string) {
  const t = await knowledgeTaskData(config, base, adapter);
  return { ...t, caches: await adapterFeatures(config, base, adapter, t.data.splits, t.layers, backend) };
}
