// What the train stage's jobs share in one process — the base, the adapter settings, each task's
// data and feature caches, loaded once — and how one job runs (src/methods/pretrain.ts does the work).
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import { runsDir } from '../src/data/layout.ts';
import { initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel, type BaseModel } from '../src/kadapter/base-model.ts';
import { resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';
import { maxTrainFor, trainConfigFor, type KnowledgeAdapterName } from '../src/kadapter/run-config.ts';
import type { AdapterRunSpec } from '../src/methods/knowledge-model.ts';
import {
  adapterFeatures,
  adapterSettingsFor,
  dataSummary,
  featureLayers,
  knowledgeRunSpec,
  readLayersOf,
  runAdapter,
  runMultitask,
} from '../src/methods/pretrain.ts';
import { formatMetrics } from '../src/tasks/knowledge/dev-eval.ts';
import { knowledgeTasks, taskOfAdapter, type KnowledgeData } from '../src/tasks/knowledge/index.ts';
import { jobLabel, type TrainJob } from './train-jobs.ts';

export type KnowledgeAdapter = KnowledgeAdapterName;

export interface JobContext {
  config: Config;
  base: BaseModel;
  backend: string;
  adapterSettings: AdapterRunSpec['adapter'];
  /** The knowledge adapters, in the registry's order of their tasks. */
  knowledgeAdapters: KnowledgeAdapter[];
  /** What runs/manifest.json records of the training settings. */
  trainingManifest: Record<string, unknown>;
  /** Each task's data, loaded once per process. */
  dataFor(name: KnowledgeAdapter): Promise<KnowledgeData>;
  /** Each task's feature caches, built (or checked) once per process. */
  featuresFor(name: KnowledgeAdapter): ReturnType<typeof adapterFeatures>;
}

/** `make` once per key; later calls share its promise. */
function memo<K, V>(make: (key: K) => Promise<V>): (key: K) => Promise<V> {
  const made = new Map<K, Promise<V>>();
  return (key) => made.get(key) ?? made.set(key, make(key)).get(key)!;
}

export async function jobContext(
  config: Config,
  onData?: (name: KnowledgeAdapter, d: KnowledgeData, summary: ReturnType<typeof dataSummary>) => void,
) {
  const backend = await initBackend(config.backend);
  const base = loadBaseModel(resolveBaseModelDir(config));
  const adapterSettings = adapterSettingsFor(config, base);
  const dataFor = memo(async (name: KnowledgeAdapter) => {
    const data = await taskOfAdapter(name).loadBuild(config, base, maxTrainFor(config, name));
    onData?.(name, data, dataSummary(data));
    return data;
  });
  const layers = featureLayers(readLayersOf(adapterSettings), base.config.layers);
  const featuresFor = memo(async (name: KnowledgeAdapter) =>
    adapterFeatures(config, base, name, (await dataFor(name)).splits, layers, backend.name),
  );
  const ctx: JobContext = {
    config,
    base,
    backend: backend.name,
    adapterSettings,
    knowledgeAdapters: knowledgeTasks().map((t) => t.adapter as KnowledgeAdapter),
    trainingManifest: {
      ...trainConfigFor(config),
      byAdapter: config.adapters.byAdapter,
      multitaskEpochs: config.adapters.multitaskEpochs,
    },
    dataFor,
    featuresFor,
  };
  return { ctx, backend };
}

export const jobDir = (config: Config, j: TrainJob) => path.join(runsDir(config), j.adapter, `seed-${j.seed}`);

/** Trains one job to the end (resuming its checkpoint) and writes its run folder, summary.json last. */
export async function runJob(ctx: JobContext, job: TrainJob): Promise<void> {
  if (job.adapter === 'multitask') return multitaskJob(ctx, job.seed);
  const { config, base } = ctx;
  const name = job.adapter;
  const task = taskOfAdapter(name);
  const training = trainConfigFor(config, name);
  const data = await ctx.dataFor(name);
  const caches = await ctx.featuresFor(name);
  const { dev, result } = await runAdapter({
    name,
    task,
    data,
    caches,
    spec: knowledgeRunSpec(config, base, task, data, ctx.adapterSettings, job.seed),
    training,
    base,
    runDir: jobDir(config, job),
    label: `train ${jobLabel(job)}`,
    summary: {
      baselines: task.trivialBaselines(data),
      data: dataSummary(data),
      features: { train: caches.train.manifest, dev: caches.dev.manifest },
    },
  });
  process.stderr.write(
    `kadapter: ${jobLabel(job)}: dev ${formatMetrics([task], dev)} (${result.seconds.toFixed(0)} s)\n`,
  );
}

/** The multi-task baseline: the base itself trained on every task, saved as a checkpoint. */
async function multitaskJob(ctx: JobContext, seed: number): Promise<void> {
  const { config, base } = ctx;
  // The shared settings, with each task's epochs from its adapter (the same steps as the adapters)
  // or adapters.multitaskEpochs of each; recorded only where they differ, so that a run with
  // equal epochs keeps its checkpoint's hash.
  const epochs = ctx.knowledgeAdapters.map((a) => config.adapters.multitaskEpochs ?? trainConfigFor(config, a).epochs);
  const uneven = new Set(epochs).size > 1;
  const data = await Promise.all(
    ctx.knowledgeAdapters.map(async (a, k) => {
      const d = await ctx.dataFor(a);
      const task = taskOfAdapter(a);
      return {
        task,
        head: task.head(config, base.config.hidden, d, false),
        train: d.splits.train,
        dev: d.splits.dev,
        ...(uneven ? { epochs: epochs[k]! } : {}),
      };
    }),
  );
  const { line } = await runMultitask({
    base,
    data,
    training: { ...trainConfigFor(config), epochs: Math.max(...epochs) },
    seed,
    runDir: jobDir(config, { adapter: 'multitask', seed }),
    label: `train multitask seed ${seed}`,
  });
  process.stderr.write(`kadapter: multitask seed ${seed}: dev ${line}\n`);
}
