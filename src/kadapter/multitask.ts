// The multi-task baseline (SPEC §7): instead of adapters, the base itself is further trained on
// both knowledge tasks — the same data and the same number of steps the two adapters take — and
// saved as a Hugging Face checkpoint that downstream evaluation loads like any base.
import * as tf from '@tensorflow/tfjs';
import type { EncodedDependency, EncodedExample, EncodedRelation } from '../data/schemas.ts';
import { hashOf } from '../util/manifest.ts';
import { saveEncoderCheckpoint, type BaseModel } from './base-model.ts';
import { namedVariables, trainableCopy, type EncoderWeights } from './encoder-weights.ts';
import { headFeatures, initHead, namedHeadTensors, type HeadWeights } from './heads.ts';
import { mulberry32, shuffled } from './rng.ts';
import { liveBatch } from './adapter-outputs.ts';
import { evaluateDev, type DevBatch, type DevMetrics } from './dev-eval.ts';
import { headLogits, lossFromLogits } from './forward.ts';
import { runTrainingLoop, type TrainConfig, type TrainResult } from './training-loop.ts';

export interface MultitaskData {
  labels: string[];
  relation: { train: EncodedRelation[]; dev: EncodedRelation[] };
  dependency: { train: EncodedDependency[]; dev: EncodedDependency[] };
  /**
   * Epochs of each task, as its adapter trains (absent: the run's epochs for both). A task with
   * fewer epochs sits out the last ones, so the run takes as many steps as the two adapters.
   */
  epochs?: Record<'relation' | 'dependency', number>;
}

interface BatchRef {
  task: 'relation' | 'dependency';
  indices: number[];
}

export interface MultitaskModel {
  weights: EncoderWeights;
  relation: HeadWeights;
  dependency: HeadWeights;
}

/** Examples a length bucket holds: so many batches are sorted by length together. */
const BUCKET_BATCHES = 50;

/**
 * Both tasks' batches in one epoch, interleaved evenly: as many steps as the two adapters take.
 * Each batch backpropagates through the whole base padded to its longest sequence, so batches are
 * drawn from length buckets (a shuffled run of 50 batches' examples, sorted by length), and the
 * batches are shuffled again: random batches of mixed lengths would pad to ~3× the tokens.
 */
export function multitaskPlan(data: MultitaskData, seed: number, epoch: number, batchSize: number): BatchRef[] {
  const rand = mulberry32(seed * 1_000_003 + epoch);
  const batches = (task: BatchRef['task']) => {
    const examples: EncodedExample[] = data[task].train;
    const order = shuffled(
      Array.from({ length: examples.length }, (_, i) => i),
      rand,
    );
    const refs: BatchRef[] = [];
    for (let c = 0; c < order.length; c += batchSize * BUCKET_BATCHES) {
      const bucket = order
        .slice(c, c + batchSize * BUCKET_BATCHES)
        .sort((a, b) => examples[a]!.ids.length - examples[b]!.ids.length || a - b);
      for (let b = 0; b < bucket.length; b += batchSize) refs.push({ task, indices: bucket.slice(b, b + batchSize) });
    }
    return shuffled(refs, rand).map((ref, b, all) => ({ ref, at: (b + 0.5) / all.length }));
  };
  const tasks = (['relation', 'dependency'] as const).filter((t) => epoch < (data.epochs?.[t] ?? Infinity));
  return tasks
    .flatMap((t) => batches(t))
    .sort((a, b) => a.at - b.at)
    .map((x) => x.ref);
}

function logitsOf(m: MultitaskModel, base: BaseModel, task: BatchRef['task'], exs: EncodedExample[]) {
  // The base's own (trained) weights, not the frozen ones.
  const batch = liveBatch(base, exs, m.weights);
  const head = task === 'relation' ? m.relation : m.dependency;
  const logits = headLogits(head, task, headFeatures(head, batch.states[base.config.layers]!), exs);
  return { logits, batch };
}

function* multitaskDevBatches(
  m: MultitaskModel,
  base: BaseModel,
  data: MultitaskData,
  batchSize: number,
): Generator<DevBatch> {
  for (const task of ['relation', 'dependency'] as const) {
    const dev: EncodedExample[] = data[task].dev;
    for (let i = 0; i < dev.length; i += batchSize) {
      const examples = dev.slice(i, i + batchSize);
      const { loss, argmax } = tf.tidy(() => {
        const { logits } = logitsOf(m, base, task, examples);
        return {
          loss: lossFromLogits(task, logits, examples).dataSync()[0]!,
          argmax: logits.argMax(-1).arraySync() as number[] | number[][],
        };
      });
      yield { examples, loss, argmax };
    }
  }
}

export async function evaluateMultitask(
  m: MultitaskModel,
  base: BaseModel,
  data: MultitaskData,
  batchSize: number,
): Promise<DevMetrics> {
  return (await evaluateDev(['relation', 'dependency'], multitaskDevBatches(m, base, data, batchSize), data.labels))
    .metrics;
}

/** A trainable copy of the base and both heads, and every trained tensor by name. */
export function initMultitask(
  base: BaseModel,
  labels: string[],
  seed: number,
  scoreDim: number,
): { model: MultitaskModel; params: Record<string, tf.Variable> } {
  const H = base.config.hidden;
  const model: MultitaskModel = {
    weights: trainableCopy(base.weights),
    relation: initHead({ kind: 'relation', hidden: H, fuse: false, labels }, seed + 1),
    dependency: initHead({ kind: 'dependency', hidden: H, fuse: false, scoreDim }, seed + 2),
  };
  // LayerNorms and biases do not decay; in HF names they end in .bias or LayerNorm.weight.
  const params: Record<string, tf.Variable> = namedVariables(model.weights, 'base.');
  for (const [n, t] of Object.entries(namedHeadTensors(model.relation))) params[`relation.${n}`] = t as tf.Variable;
  for (const [n, t] of Object.entries(namedHeadTensors(model.dependency))) params[`dependency.${n}`] = t as tf.Variable;
  return { model, params };
}

/** The loss of one batch of one task's examples, through the whole (trained) base. */
export function multitaskLoss(
  m: MultitaskModel,
  base: BaseModel,
  task: BatchRef['task'],
  exs: EncodedExample[],
): tf.Scalar {
  return lossFromLogits(task, logitsOf(m, base, task, exs).logits, exs);
}

export async function trainMultitask(o: {
  base: BaseModel;
  data: MultitaskData;
  config: TrainConfig;
  seed: number;
  scoreDim: number;
  runDir: string;
  label: string;
  log?: (l: string) => void;
  stopAfterSteps?: number;
}): Promise<{ model: MultitaskModel; result: TrainResult }> {
  const { model, params } = initMultitask(o.base, o.data.labels, o.seed, o.scoreDim);
  const result = await runTrainingLoop<BatchRef>({
    label: o.label,
    runDir: o.runDir,
    config: o.config,
    params,
    configHash: hashOf({ multitask: true, base: o.base.name, config: o.config, seed: o.seed, data: hashOf(o.data) }),
    plan: (epoch) => multitaskPlan(o.data, o.seed, epoch, o.config.batchSize),
    loss: (ref) =>
      multitaskLoss(
        model,
        o.base,
        ref.task,
        ref.indices.map((i) => o.data[ref.task].train[i]!),
      ),
    evaluate: () => evaluateMultitask(model, o.base, o.data, o.config.batchSize * 2),
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
