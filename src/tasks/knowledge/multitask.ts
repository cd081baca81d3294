// The multi-task baseline (SPEC §7): instead of adapters, the base itself is further trained on
// every knowledge task — the same data and the same number of steps the adapters take — and
// saved as a Hugging Face checkpoint that downstream evaluation loads like any base.
import * as tf from '@tensorflow/tfjs';
import type { EncodedExample } from '../../data/schemas.ts';
import { Initializer } from '../../kadapter/adapter.ts';
import { liveBatch } from '../../kadapter/adapter-outputs.ts';
import { saveEncoderCheckpoint, type BaseModel } from '../../kadapter/base-model.ts';
import type { DevMetrics } from '../../kadapter/dev-eval.ts';
import { namedVariables, trainableCopy, type EncoderWeights } from '../../kadapter/encoder-weights.ts';
import { mulberry32, shuffled } from '../../kadapter/rng.ts';
import { runTrainingLoop, type TrainConfig, type TrainResult } from '../../kadapter/training-loop.ts';
import { hashOf } from '../../util/manifest.ts';
import { evaluateDev, formatMetrics, type DevBatch } from './dev-eval.ts';
import type { HeadSettings, KnowledgeTask } from './registry.ts';

/** One task of the multi-task run: its head (not fused: the base is what trains) and its examples. */
export interface MultitaskPart {
  task: KnowledgeTask;
  head: HeadSettings;
  train: EncodedExample[];
  dev: EncodedExample[];
  /**
   * Epochs of this task, as its adapter trains (absent: the run's epochs). A task with fewer
   * epochs sits out the last ones, so the run takes as many steps as the adapters.
   */
  epochs?: number;
}

/** The tasks, in the registry's order. */
export type MultitaskData = MultitaskPart[];

interface BatchRef {
  /** Index of the part. */
  part: number;
  indices: number[];
}

export interface MultitaskModel {
  weights: EncoderWeights;
  /** Each part's head weights by name, in the parts' order. */
  heads: Record<string, tf.Variable>[];
}

/** Examples a length bucket holds: so many batches are sorted by length together. */
const BUCKET_BATCHES = 50;

/**
 * Every task's batches in one epoch, interleaved evenly: as many steps as the adapters take.
 * Each batch backpropagates through the whole base padded to its longest sequence, so batches are
 * drawn from length buckets (a shuffled run of 50 batches' examples, sorted by length), and the
 * batches are shuffled again: random batches of mixed lengths would pad to ~3× the tokens.
 */
export function multitaskPlan(data: MultitaskData, seed: number, epoch: number, batchSize: number): BatchRef[] {
  const rand = mulberry32(seed * 1_000_003 + epoch);
  const batches = (part: number) => {
    const examples = data[part]!.train;
    const order = shuffled(
      Array.from({ length: examples.length }, (_, i) => i),
      rand,
    );
    const refs: BatchRef[] = [];
    for (let c = 0; c < order.length; c += batchSize * BUCKET_BATCHES) {
      const bucket = order
        .slice(c, c + batchSize * BUCKET_BATCHES)
        .sort((a, b) => examples[a]!.ids.length - examples[b]!.ids.length || a - b);
      for (let b = 0; b < bucket.length; b += batchSize) refs.push({ part, indices: bucket.slice(b, b + batchSize) });
    }
    return shuffled(refs, rand).map((ref, b, all) => ({ ref, at: (b + 0.5) / all.length }));
  };
  return data
    .flatMap((p, i) => (epoch < (p.epochs ?? Infinity) ? [i] : []))
    .flatMap((i) => batches(i))
    .sort((a, b) => a.at - b.at)
    .map((x) => x.ref);
}

function logitsOf(m: MultitaskModel, base: BaseModel, data: MultitaskData, part: number, exs: EncodedExample[]) {
  // The base's own (trained) weights, not the frozen ones.
  const batch = liveBatch(base, exs, m.weights);
  const { task, head } = data[part]!;
  return task.logits(head, m.heads[part]!, batch.states[base.config.layers]!, exs);
}

function* multitaskDevBatches(
  m: MultitaskModel,
  base: BaseModel,
  data: MultitaskData,
  batchSize: number,
): Generator<DevBatch> {
  for (const [part, { task, dev }] of data.entries()) {
    for (let i = 0; i < dev.length; i += batchSize) {
      const examples = dev.slice(i, i + batchSize);
      const { loss, argmax } = tf.tidy(() => {
        const logits = logitsOf(m, base, data, part, examples);
        return {
          loss: task.loss(logits, examples).dataSync()[0]!,
          argmax: logits.argMax(-1).arraySync() as number[] | number[][],
        };
      });
      yield { task, examples, loss, argmax };
    }
  }
}

export async function evaluateMultitask(
  m: MultitaskModel,
  base: BaseModel,
  data: MultitaskData,
  batchSize: number,
): Promise<DevMetrics> {
  return (await evaluateDev(data, multitaskDevBatches(m, base, data, batchSize))).metrics;
}

/** The metrics of every task in one line. */
export const describeMultitask = (data: MultitaskData, m: DevMetrics): string =>
  formatMetrics(
    data.map((p) => p.task),
    m,
  );

/** A trainable copy of the base and every task's head, and every trained tensor by name. */
export function initMultitask(
  base: BaseModel,
  data: MultitaskData,
  seed: number,
): { model: MultitaskModel; params: Record<string, tf.Variable> } {
  const model: MultitaskModel = {
    weights: trainableCopy(base.weights),
    heads: data.map((p, k) => p.task.initHead(p.head, new Initializer(seed + 1 + k))),
  };
  // LayerNorms and biases do not decay; in HF names they end in .bias or LayerNorm.weight.
  const params: Record<string, tf.Variable> = namedVariables(model.weights, 'base.');
  data.forEach((p, k) => {
    for (const [n, t] of Object.entries(model.heads[k]!)) params[`${p.task.name}.${n}`] = t;
  });
  return { model, params };
}

/** The loss of one batch of one task's examples, through the whole (trained) base. */
export function multitaskLoss(
  m: MultitaskModel,
  base: BaseModel,
  data: MultitaskData,
  part: number,
  exs: EncodedExample[],
): tf.Scalar {
  return data[part]!.task.loss(logitsOf(m, base, data, part, exs), exs);
}

/** What the run's checkpoint hash covers of the data: each task's head, examples and epochs. */
const dataIdentity = (data: MultitaskData) =>
  hashOf(data.map((p) => ({ task: p.task.name, head: p.head, train: p.train, dev: p.dev, epochs: p.epochs ?? null })));

export async function trainMultitask(o: {
  base: BaseModel;
  data: MultitaskData;
  config: TrainConfig;
  seed: number;
  runDir: string;
  label: string;
  log?: (l: string) => void;
  stopAfterSteps?: number;
}): Promise<{ model: MultitaskModel; result: TrainResult }> {
  const { model, params } = initMultitask(o.base, o.data, o.seed);
  const result = await runTrainingLoop<BatchRef>({
    label: o.label,
    runDir: o.runDir,
    config: o.config,
    params,
    configHash: hashOf({
      multitask: true,
      base: o.base.name,
      config: o.config,
      seed: o.seed,
      data: dataIdentity(o.data),
    }),
    plan: (epoch) => multitaskPlan(o.data, o.seed, epoch, o.config.batchSize),
    loss: (ref) =>
      multitaskLoss(
        model,
        o.base,
        o.data,
        ref.part,
        ref.indices.map((i) => o.data[ref.part]!.train[i]!),
      ),
    evaluate: () => evaluateMultitask(model, o.base, o.data, o.config.batchSize * 2),
    describe: (m) => describeMultitask(o.data, m),
    log: o.log,
    stopAfterSteps: o.stopAfterSteps,
  });
  return { model, result };
}

/** The trained base in the Hugging Face layout of the base it came from. */
export function saveMultitaskCheckpoint(
  dir: string,
  base: BaseModel,
  m: MultitaskModel,
  info: Record<string, unknown>,
): void {
  saveEncoderCheckpoint(dir, base, m.weights, 'multitask', info);
}
