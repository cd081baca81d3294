// Training one adapter from JSON Lines files, outside the pipeline: relation rows in TACRED's
// format (the factual adapter's task) or dependency rows {id, tokens, heads} (the linguistic
// adapter's). The steps are the train stage's: encode (counted skips) → feature caches of the
// base's hidden states → train with dev evaluation each epoch → adapter folder.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadConfig } from '../config/load.ts';
import type { DevMetrics } from '../data/files.ts';
import { DependencyTrainingRow, type EncodedExample } from '../data/schemas.ts';
import { streamTacred } from '../eval/formats.ts';
import { saveAdapterFiles } from '../kadapter/adapter-files.ts';
import type { AdapterConfig } from '../kadapter/adapter.ts';
import { baseWeightsSha256, type BaseModel } from '../kadapter/base-model.ts';
import { encodeDependency, encodeRelation, type Skips } from '../kadapter/examples.ts';
import { buildFeatureCache, FeatureCache } from '../kadapter/features.ts';
import type { AdapterRunSpec } from '../kadapter/forward.ts';
import type { HeadConfig } from '../kadapter/heads.ts';
import { adapterConfigFor, trainConfigFor } from '../kadapter/run-config.ts';
import { evaluateAdapter, modelTensors, trainAdapter } from '../kadapter/train.ts';
import type { TrainConfig } from '../kadapter/training-loop.ts';
import { UserError } from '../util/errors.ts';
import { readJsonLines } from '../util/jsonl.ts';
import { hashOf } from '../util/manifest.ts';

export type AdapterTask = AdapterRunSpec['task'];

export interface TrainAdapterOptions {
  base: BaseModel;
  /** `relation`: TACRED-format rows; `dependency`: {id, tokens, heads} rows. */
  task: AdapterTask;
  train: string;
  dev: string;
  /** Folder for the run: adapter/ (the adapter files), features/, checkpoints and metrics.jsonl. */
  out: string;
  /** The adapter's name in its files (default: factual or linguistic, by task). */
  name?: string;
  /** Overrides of the default profile's adapter shape. */
  adapter?: Partial<Pick<AdapterConfig, 'readLayers' | 'size' | 'layers' | 'chain' | 'initStd'>>;
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

async function readExamples(
  task: AdapterTask,
  file: string,
  base: BaseModel,
  labels: Map<string, number>,
  maxLength: number,
  skips: Skips,
): Promise<EncodedExample[]> {
  if (!fs.existsSync(file)) throw new UserError(`${file}: no such file`);
  const out: EncodedExample[] = [];
  if (task === 'relation') {
    for await (const row of streamTacred(file, skips)) {
      const e = encodeRelation(row, base.tokenizer, labels, maxLength, skips);
      if (e) out.push(e);
    }
  } else {
    for await (const row of readJsonLines(file, DependencyTrainingRow, skips)) {
      const e = encodeDependency(row, base.tokenizer, maxLength, skips);
      if (e) out.push(e);
    }
  }
  return out;
}

/** The relation labels of a training file, sorted, with no_relation. */
async function relationLabels(file: string): Promise<string[]> {
  const seen = new Set<string>(['no_relation']);
  for await (const row of streamTacred(file, {})) seen.add(row.relation);
  return [...seen].sort();
}

export async function trainAdapterFromJsonl(o: TrainAdapterOptions): Promise<TrainedAdapterRun> {
  const config = loadConfig();
  const { base } = o;
  const maxLength = Math.min(o.maxLength ?? config.model.maxLength, base.maxLength);
  const adapter: AdapterConfig = { ...adapterConfigFor(config, base), ...o.adapter };
  const beyond = adapter.readLayers.filter((l) => l > base.config.layers);
  if (beyond.length > 0)
    throw new UserError(`adapter.readLayers ${JSON.stringify(beyond)} exceed the base's ${base.config.layers} layers`);
  const defaults = trainConfigFor(config);
  const training: TrainConfig = {
    ...defaults,
    epochs: o.training?.epochs ?? defaults.epochs,
    batchSize: o.training?.batchSize ?? defaults.batchSize,
    optim: { ...defaults.optim, lr: o.training?.lr ?? defaults.optim.lr },
  };
  const labelList = o.task === 'relation' ? await relationLabels(o.train) : undefined;
  const labels = new Map((labelList ?? []).map((l, i) => [l, i]));
  const skipped = { train: {} as Skips, dev: {} as Skips };
  const splits = {
    train: await readExamples(o.task, o.train, base, labels, maxLength, skipped.train),
    dev: await readExamples(o.task, o.dev, base, labels, maxLength, skipped.dev),
  };
  for (const split of ['train', 'dev'] as const) {
    if (splits[split].length === 0)
      throw new UserError(`${o[split]}: no usable ${o.task} example (skipped ${JSON.stringify(skipped[split])})`);
  }
  const L = base.config.layers;
  const layers = [...new Set([...adapter.readLayers, L])].sort((a, b) => a - b);
  const caches: Record<string, FeatureCache> = {};
  for (const split of ['train', 'dev'] as const) {
    const dir = path.join(o.out, 'features', split);
    await buildFeatureCache({
      dir,
      model: base,
      examples: splits[split],
      spec: { layers, dtype: config.adapters.featureDtype, shardSize: config.adapters.featureShardSize },
      key: hashOf({
        base: baseWeightsSha256(base),
        layers,
        dtype: config.adapters.featureDtype,
        examples: hashOf(splits[split]),
      }),
      backend: tf.getBackend(),
      label: `features ${split}`,
    });
    caches[split] = new FeatureCache(dir);
  }
  const head: HeadConfig =
    o.task === 'relation'
      ? { kind: 'relation', hidden: base.config.hidden, fuse: true, labels: labelList! }
      : { kind: 'dependency', hidden: base.config.hidden, fuse: true, scoreDim: config.adapters.headScoreDim };
  const seed = o.seed ?? config.adapters.seeds[0]!;
  const spec: AdapterRunSpec = { task: o.task, adapter, head, lastLayer: L, seed };
  const { model, result } = await trainAdapter({
    spec,
    config: training,
    train: caches.train!,
    dev: caches.dev!,
    runDir: o.out,
    label: `train ${o.task}`,
    log: o.log,
  });
  const { metrics } = await evaluateAdapter(model, spec, caches.dev!, training.batchSize * 2, head.labels);
  const dir = path.join(o.out, 'adapter');
  try {
    saveAdapterFiles(dir, {
      name: o.name ?? (o.task === 'relation' ? 'factual' : 'linguistic'),
      task: o.task,
      model,
      adapter,
      head,
      base,
      lastLayer: L,
      training: { seed, ...training, steps: result.steps, seconds: result.seconds, dev: metrics },
    });
  } finally {
    // The files are the result; the variables are freed once written.
    tf.dispose(Object.values(modelTensors(model)));
  }
  return {
    dir,
    dev: metrics,
    examples: { train: splits.train.length, dev: splits.dev.length },
    skipped,
    steps: result.steps,
    seconds: result.seconds,
  };
}
