// Training an adapter of any registered method and its knowledge head on the frozen base's cached
// hidden states; its dev evaluation on a cached split.
import * as tf from '@tensorflow/tfjs';
import type { DevMetrics } from '../kadapter/dev-eval.ts';
import type { FeatureCache, LoadedShard } from '../kadapter/features.ts';
import { epochPlan, runTrainingLoop, type TrainConfig, type TrainResult } from '../kadapter/training-loop.ts';
import { evaluateDev, formatMetrics, type DevBatch } from '../tasks/knowledge/dev-eval.ts';
import type { Prediction } from '../tasks/knowledge/index.ts';
import { hashOf } from '../util/manifest.ts';
import {
  batchLoss,
  initKnowledgeModel,
  knowledgeLogits,
  modelVariables,
  type AdapterRunSpec,
  type KnowledgeModel,
} from './knowledge-model.ts';

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

export async function trainAdapter(o: TrainOptions): Promise<{ model: KnowledgeModel; result: TrainResult }> {
  const { spec, config, train, dev } = o;
  if (train.size === 0) throw new Error(`${o.label}: the training split is empty`);
  if (dev.size === 0) throw new Error(`${o.label}: the dev split is empty`);
  const model = initKnowledgeModel(spec);
  let shardCache: { index: number; shard: LoadedShard } | null = null;
  const shardOf = (i: number) => {
    if (shardCache?.index !== i) shardCache = { index: i, shard: train.loadShard(i) };
    return shardCache.shard;
  };
  const result = await runTrainingLoop({
    label: o.label,
    runDir: o.runDir,
    config,
    params: modelVariables(model),
    configHash: hashOf({ spec, config, train: train.manifest.key, dev: dev.manifest.key }),
    plan: (epoch) => epochPlan(train, spec.seed, epoch, config.batchSize),
    loss: (ref) => batchLoss(model, train.batch(shardOf(ref.shard), ref.indices)),
    evaluate: async () => (await evaluateAdapter(model, dev, config.batchSize * 2)).metrics,
    describe: (m) => formatMetrics([model.task], m),
    log: o.log,
    stopAfterSteps: o.stopAfterSteps,
  });
  return { model, result };
}

/** The dev batches of a feature cache, in file order, scored by the adapter and its head. */
function* cachedDevBatches(m: KnowledgeModel, cache: FeatureCache, batchSize: number): Generator<DevBatch> {
  for (let s = 0; s < cache.manifest.shards.length; s++) {
    const shard = cache.loadShard(s);
    for (let i = 0; i < shard.examples.length; i += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, shard.examples.length - i) }, (_, k) => i + k);
      const batch = cache.batch(shard, idx);
      const { loss, argmax } = tf.tidy(() => {
        const logits = knowledgeLogits(m, batch);
        const l = m.task.loss(logits, batch.examples).dataSync()[0]!;
        return { loss: l, argmax: logits.argMax(-1).arraySync() as number[] | number[][] };
      });
      tf.dispose([...batch.states.filter((t) => t), batch.mask]);
      yield { task: m.task, examples: batch.examples, loss, argmax };
    }
  }
}

/** An adapter's dev metrics and predictions on a cached split. */
export function evaluateAdapter(
  m: KnowledgeModel,
  cache: FeatureCache,
  batchSize: number,
): Promise<{ metrics: DevMetrics; predictions: Prediction[] }> {
  return evaluateDev([{ task: m.task, head: m.head.settings }], cachedDevBatches(m, cache, batchSize));
}
