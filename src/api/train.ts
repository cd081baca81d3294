// Training one adapter from JSON Lines files, outside the pipeline: rows of any registered
// knowledge task (relation rows in TACRED's format for the factual adapter's task, dependency rows
// {id, tokens, heads} for the linguistic adapter's). The steps are the train stage's
// (src/methods/pretrain.ts): encode (counted skips) → feature caches of the base's hidden states →
// train with dev evaluation each epoch → adapter folder.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadConfig } from '../config/load.ts';
import type { BaseModel } from '../kadapter/base-model.ts';
import type { DevMetrics } from '../kadapter/dev-eval.ts';
import type { Skips } from '../kadapter/examples.ts';
import { trainConfigFor } from '../kadapter/run-config.ts';
import type { TrainConfig } from '../kadapter/training-loop.ts';
import { method } from '../methods/index.ts';
import { baseShape, featureLayers, knowledgeRunSpec, runAdapter, taskFeatures } from '../methods/pretrain.ts';
import { knowledgeTask } from '../tasks/knowledge/index.ts';
import { UserError } from '../util/errors.ts';

/** A registered knowledge task's name: `relation` or `dependency` built in. */
export type AdapterTask = string;

export interface TrainAdapterOptions {
  base: BaseModel;
  /** `relation`: TACRED-format rows; `dependency`: {id, tokens, heads} rows; or another registered task. */
  task: AdapterTask;
  train: string;
  dev: string;
  /** Folder for the run: adapter/ (the adapter files), features/, checkpoints and metrics.jsonl. */
  out: string;
  /** The adapter's name in its files (default: the pipeline's adapter of that task, e.g. factual). */
  name?: string;
  /** The adaptation method (default: the profile's, k-adapter). */
  method?: string;
  /** Overrides of the default profile's adapter settings (K-Adapter: readLayers, size, layers, chain, initStd). */
  adapter?: Record<string, unknown>;
  /** Overrides of the default profile's training settings. */
  training?: Partial<Pick<TrainConfig, 'epochs' | 'batchSize'>> & { lr?: number };
  seed?: number;
  maxLength?: number;
  log?: (line: string) => void;
}

export interface TrainedAdapterRun {
  /** The adapter folder (load it with loadAdapter). */
  dir: string;
  dev: DevMetrics;
  examples: { train: number; dev: number };
  skipped: { train: Skips; dev: Skips };
  steps: number;
  seconds: number;
}

export async function trainAdapterFromJsonl(o: TrainAdapterOptions): Promise<TrainedAdapterRun> {
  const config = loadConfig();
  if (o.method) config.adapters.method = o.method;
  const { base } = o;
  const task = knowledgeTask(o.task);
  const maxLength = Math.min(o.maxLength ?? config.model.maxLength, base.maxLength);
  const m = method(config.adapters.method);
  const own = m.configSchema.parse({ ...(m.configFor(config, baseShape(base)) as object), ...o.adapter });
  const settings = m.fileConfig(own);
  const why = m.baseMismatch(own, baseShape(base));
  if (why) throw new UserError(`adapter settings do not fit ${base.name} (${base.config.layers} layers): ${why}`);
  const defaults = trainConfigFor(config);
  const training: TrainConfig = {
    ...defaults,
    epochs: o.training?.epochs ?? defaults.epochs,
    batchSize: o.training?.batchSize ?? defaults.batchSize,
    optim: { ...defaults.optim, lr: o.training?.lr ?? defaults.optim.lr },
  };
  const data = await task.loadFiles({ train: o.train, dev: o.dev }, base, maxLength);
  for (const split of ['train', 'dev'] as const) {
    if (data.splits[split].length === 0)
      throw new UserError(`${o[split]}: no usable ${o.task} example (skipped ${JSON.stringify(data.skips[split])})`);
  }
  const L = base.config.layers;
  const caches = await taskFeatures({
    dir: path.join(o.out, 'features'),
    config,
    base,
    splits: data.splits,
    layers: featureLayers(m.readLayers(own), L),
    backend: tf.getBackend(),
    label: 'features',
  });
  const seed = o.seed ?? config.adapters.seeds[0]!;
  const { dev, adapterDir, result } = await runAdapter({
    name: o.name ?? task.adapter,
    task,
    data,
    caches,
    spec: knowledgeRunSpec(config, base, task, data, settings, seed),
    training,
    base,
    runDir: o.out,
    label: `train ${o.task}`,
    log: o.log,
  });
  return {
    dir: adapterDir,
    dev,
    examples: { train: data.splits.train.length, dev: data.splits.dev.length },
    skipped: { train: data.skips.train ?? {}, dev: data.skips.dev ?? {} },
    steps: result.steps,
    seconds: result.seconds,
  };
}
