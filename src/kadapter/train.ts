// Training an adapter and its knowledge head on the frozen base's cached hidden states.
import * as tf from '@tensorflow/tfjs';
import { hashOf } from '../util/manifest.ts';
import { initAdapter, namedAdapterTensors } from './adapter.ts';
import { evaluateDev, type DevBatch, type DevMetrics, type Prediction } from './dev-eval.ts';
import type { FeatureCache, LoadedShard } from './features.ts';
import { batchLoss, forwardBatch, lossFromLogits, type AdapterRunSpec, type TrainedModel } from './forward.ts';
import { initHead, namedHeadTensors } from './heads.ts';
import { epochPlan, runTrainingLoop, type TrainConfig, type TrainResult } from './training-loop.ts';

export interface TrainOptions {
  spec: AdapterRunSpec;
  config: TrainConfig;
  train: FeatureCache;
  dev: FeatureCache;
  runDir: string;
  label: string;
  log?: (line: string) => void;
  /** Stop after this many steps (tests: a kill mid-run, resumed later). */
  stopAfterSteps?: number;
}

export function modelTensors(m: TrainedModel): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [n, t] of Object.entries(namedAdapterTensors(m.adapter))) out[`adapter.${n}`] = t as tf.Variable;
  for (const [n, t] of Object.entries(namedHeadTensors(m.head))) out[`head.${n}`] = t as tf.Variable;
  return out;
}

export async function trainAdapter(o: TrainOptions): Promise<{ model: TrainedModel; result: TrainResult }> {
  const { spec, config, train, dev } = o;
  if (train.size === 0) throw new Error(`${o.label}: the training split is empty`);
  if (dev.size === 0) throw new Error(`${o.label}: the dev split is empty`);
  const model: TrainedModel = {
    adapter: initAdapter(spec.adapter, spec.seed),
    head: initHead(spec.head, spec.seed + 1),
  };
  let shardCache: { index: number; shard: LoadedShard } | null = null;
  const shardOf = (i: number) => {
    if (shardCache?.index !== i) shardCache = { index: i, shard: train.loadShard(i) };
    return shardCache.shard;
  };
  const result = await runTrainingLoop({
    label: o.label,
    runDir: o.runDir,
    config,
    params: modelTensors(model),
    configHash: hashOf({ spec, config, train: train.manifest.key, dev: dev.manifest.key }),
    plan: (epoch) => epochPlan(train, spec.seed, epoch, config.batchSize),
    loss: (ref) => batchLoss(model, spec, train.batch(shardOf(ref.shard), ref.indices)),
    evaluate: async () => (await evaluateAdapter(model, spec, dev, config.batchSize * 2, spec.head.labels)).metrics,
    log: o.log,
    stopAfterSteps: o.stopAfterSteps,
  });
  return { model, result };
}

/** The dev batches of a feature cache, in file order, scored by the adapter and its head. */
function* cachedDevBatches(
  m: TrainedModel,
  spec: AdapterRunSpec,
  cache: FeatureCache,
  batchSize: number,
): Generator<DevBatch> {
  for (let s = 0; s < cache.manifest.shards.length; s++) {
    const shard = cache.loadShard(s);
    for (let i = 0; i < shard.examples.length; i += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, shard.examples.length - i) }, (_, k) => i + k);
      const batch = cache.batch(shard, idx);
      const { loss, argmax } = tf.tidy(() => {
        const logits = forwardBatch(m, spec, batch);
        const l = lossFromLogits(spec.task, logits, batch.examples).dataSync()[0]!;
        return { loss: l, argmax: logits.argMax(-1).arraySync() as number[] | number[][] };
      });
      tf.dispose([...batch.states.filter((t) => t), batch.mask]);
      yield { examples: batch.examples, loss, argmax };
    }
  }
}

/** An adapter's dev metrics and predictions on a cached split. */
export function evaluateAdapter(
  m: TrainedModel,
  spec: AdapterRunSpec,
  cache: FeatureCache,
  batchSize: number,
  labels?: string[],
): Promise<{ metrics: DevMetrics; predictions: Prediction[] }> {
  return evaluateDev([spec.task], cachedDevBatches(m, spec, cache, batchSize), labels);
}
