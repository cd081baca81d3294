// Training an adapter and its knowledge head on the frozen base's cached hidden states.
// The loop is deterministic given the seed (initialisation and every epoch's order), checkpoints
// the weights and the optimizer every few steps, and resumes exactly from the last checkpoint.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { relationDevScores } from '../eval/metrics.ts';
import { hashOf } from '../util/manifest.ts';
import { writeFileAtomic } from '../util/jsonl.ts';
import { progress } from '../util/progress.ts';
import { adapterForward, initAdapter, namedAdapterTensors, type AdapterConfig, type AdapterWeights } from './adapter.ts';
import { FeatureCache, type LoadedShard } from './features.ts';
import { crossEntropy, dependencyScores, headFeatures, initHead, namedHeadTensors, relationLogits, type HeadConfig, type HeadWeights } from './heads.ts';
import { AdamW, scheduledLr, type OptimConfig } from './optim.ts';
import { openSafetensors, writeSafetensors } from './safetensors.ts';
import { mulberry32, shuffled } from './rng.ts';
import type { EncodedDependency, EncodedExample, EncodedRelation } from '../data/schemas.ts';
import { assignValues } from './variables.ts';

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  optim: OptimConfig;
  /** Steps between checkpoints (a multiple of logEverySteps, so a resumed log is identical). */
  checkpointEverySteps: number;
  logEverySteps: number;
}

export interface AdapterRunSpec {
  task: 'relation' | 'dependency';
  adapter: AdapterConfig;
  head: HeadConfig;
  /** Base layer whose states the head fuses with the adapter output (the last, L). */
  lastLayer: number;
  seed: number;
}

export interface TrainedModel {
  adapter: AdapterWeights;
  head: HeadWeights;
}

export type CachedBatch = ReturnType<FeatureCache['batch']>;

/** Logits for a batch: relation [B, R], or dependency [B, T, T]. */
export function forwardBatch(m: TrainedModel, spec: AdapterRunSpec, batch: CachedBatch): tf.Tensor {
  const a = adapterForward(m.adapter, spec.adapter, batch.states, batch.mask);
  return headLogits(m.head, spec.task, headFeatures(m.head, batch.states[spec.lastLayer]!, a), batch.examples);
}

/** A knowledge head's logits on features f [B, T, H] of the batch's examples. */
export function headLogits(head: HeadWeights, task: AdapterRunSpec['task'], f: tf.Tensor3D, examples: EncodedExample[]): tf.Tensor {
  if (task === 'relation') {
    const exs = examples as EncodedRelation[];
    return relationLogits(head, f, tf.tensor1d(exs.map((e) => e.subj), 'int32'), tf.tensor1d(exs.map((e) => e.obj), 'int32'));
  }
  return dependencyScores(head, f, candidateMask(examples as EncodedDependency[], f.shape[1]));
}

/** [B, T]: 1 at ROOT (position 0) and at every word's first subword. */
export function candidateMask(exs: EncodedDependency[], T: number): tf.Tensor2D {
  const m = new Int32Array(exs.length * T);
  exs.forEach((e, b) => {
    m[b * T] = 1;
    for (const p of e.firsts) m[b * T + p] = 1;
  });
  return tf.tensor2d(m, [exs.length, T], 'int32');
}

/** Per token position, the head position to predict (-1: no label). */
export function headLabels(exs: EncodedDependency[], T: number): Int32Array {
  const y = new Int32Array(exs.length * T).fill(-1);
  exs.forEach((e, b) => e.firsts.forEach((p, w) => (y[b * T + p] = e.heads[w]!)));
  return y;
}

export function lossFromLogits(spec: AdapterRunSpec, logits: tf.Tensor, batch: CachedBatch): tf.Scalar {
  if (spec.task === 'relation') {
    const y = tf.tensor1d((batch.examples as unknown as EncodedRelation[]).map((e) => e.label), 'int32');
    return crossEntropy(logits as tf.Tensor2D, y);
  }
  const [B, T] = [logits.shape[0]!, logits.shape[1]!];
  const y = tf.tensor1d(headLabels(batch.examples as unknown as EncodedDependency[], T), 'int32');
  return crossEntropy(logits.reshape([B * T, T]) as tf.Tensor2D, y);
}

export function batchLoss(m: TrainedModel, spec: AdapterRunSpec, batch: CachedBatch): tf.Scalar {
  return lossFromLogits(spec, forwardBatch(m, spec, batch), batch);
}

// ---- evaluation

export interface DevMetrics {
  examples: number;
  loss: number;
  /** relation */
  microF1?: number;
  microP?: number;
  microR?: number;
  macroF1?: number;
  accuracy?: number;
  /** dependency: unlabelled attachment score over labelled words */
  uas?: number;
  words?: number;
}

export interface Prediction {
  id: string;
  gold: string | number[];
  predicted: string | number[];
}

export function evaluate(m: TrainedModel, spec: AdapterRunSpec, cache: FeatureCache, batchSize: number, labels?: string[]): { metrics: DevMetrics; predictions: Prediction[] } {
  let lossSum = 0;
  let n = 0;
  const predictions: Prediction[] = [];
  let correctHeads = 0;
  let words = 0;
  for (let s = 0; s < cache.manifest.shards.length; s++) {
    const shard = cache.loadShard(s);
    for (let i = 0; i < shard.examples.length; i += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, shard.examples.length - i) }, (_, k) => i + k);
      const batch = cache.batch(shard, idx);
      const { loss, pred } = tf.tidy(() => {
        const logits = forwardBatch(m, spec, batch);
        const l = lossFromLogits(spec, logits, batch).dataSync()[0]!;
        return { loss: l, pred: logits.argMax(-1).arraySync() as number[] | number[][] };
      });
      tf.dispose([...batch.states.filter((t) => t), batch.mask]);
      lossSum += loss * idx.length;
      n += idx.length;
      batch.examples.forEach((e, b) => {
        if (e.task === 'relation') {
          predictions.push({ id: e.id, gold: labels![e.label]!, predicted: labels![(pred as number[])[b]!]! });
        } else {
          const row = (pred as number[][])[b]!;
          const predicted = e.firsts.map((p) => row[p]!);
          e.heads.forEach((h, w) => {
            if (h < 0) return;
            words++;
            if (predicted[w] === h) correctHeads++;
          });
          predictions.push({ id: e.id, gold: e.heads, predicted });
        }
      });
    }
  }
  const metrics: DevMetrics = { examples: n, loss: n ? lossSum / n : 0 };
  if (spec.task === 'relation') {
    const gold = predictions.map((p) => p.gold as string);
    const pred = predictions.map((p) => p.predicted as string);
    Object.assign(metrics, relationDevScores(gold, pred));
  } else {
    Object.assign(metrics, { uas: words ? correctHeads / words : 0, words });
  }
  return { metrics, predictions };
}

// ---- the loop

export interface TrainResult {
  steps: number;
  epochs: number;
  seconds: number;
  examplesPerSecond: number;
  dev: DevMetrics[];
  resumedFromStep: number | null;
}

interface CheckpointState {
  configHash: string;
  step: number;
  dev: DevMetrics[];
  seconds: number;
  /** The train loss accumulated since the last log line, so a resumed log is the same. */
  lossAcc: number;
  lossCount: number;
}

/** The batches of one epoch, in a seeded order: shards shuffled, examples shuffled within each. */
export function epochPlan(cache: FeatureCache, seed: number, epoch: number, batchSize: number): { shard: number; indices: number[] }[] {
  const rand = mulberry32(seed * 1_000_003 + epoch);
  const plan: { shard: number; indices: number[] }[] = [];
  for (const s of shuffled(cache.manifest.shards.map((_, i) => i), rand)) {
    const order = shuffled(Array.from({ length: cache.manifest.shards[s]!.examples }, (_, i) => i), rand);
    for (let i = 0; i < order.length; i += batchSize) plan.push({ shard: s, indices: order.slice(i, i + batchSize) });
  }
  return plan;
}

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
  const model: TrainedModel = { adapter: initAdapter(spec.adapter, spec.seed), head: initHead(spec.head, spec.seed + 1) };
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
    evaluate: () => evaluate(model, spec, dev, config.batchSize * 2, spec.head.labels).metrics,
    log: o.log,
    stopAfterSteps: o.stopAfterSteps,
  });
  return { model, result };
}

export interface LoopOptions<B> {
  label: string;
  runDir: string;
  config: TrainConfig;
  /** Every trained tensor, by a stable name (checkpoints use the names). */
  params: Record<string, tf.Variable>;
  /** What the run is; a checkpoint of another configuration is not resumed. */
  configHash: string;
  /** The batches of an epoch, deterministic for a given epoch. */
  plan(epoch: number): B[];
  /** The loss of one batch; tensors made here are freed after the step. */
  loss(batch: B): tf.Scalar;
  evaluate(): DevMetrics;
  log?: (line: string) => void;
  stopAfterSteps?: number;
}

/**
 * The training loop shared by adapters and the multi-task baseline: AdamW with the schedule,
 * train loss logged every few steps, dev evaluated after each epoch, checkpoints (weights,
 * optimizer, log position) every few steps, exact resumption from the last one.
 */
export async function runTrainingLoop<B>(o: LoopOptions<B>): Promise<TrainResult> {
  const { config, params, runDir } = o;
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (config.checkpointEverySteps % config.logEverySteps !== 0) throw new Error('checkpointEverySteps must be a multiple of logEverySteps');
  fs.mkdirSync(runDir, { recursive: true });
  const opt = new AdamW(config.optim, params);
  const plans = Array.from({ length: config.epochs }, (_, e) => o.plan(e));
  const total = plans.reduce((n, p) => n + p.length, 0);
  const ckptDir = path.join(runDir, 'checkpoint');
  const metricsFile = path.join(runDir, 'metrics.jsonl');

  let step = 0;
  let dev: DevMetrics[] = [];
  let secondsBefore = 0;
  let resumedFromStep: number | null = null;
  let lossAcc = 0;
  let lossCount = 0;
  const state = readCheckpoint(ckptDir);
  if (state && state.meta.configHash === o.configHash) {
    for (const [n, p] of Object.entries(params)) {
      const v = state.tensors[`param.${n}`];
      if (!v || v.length !== p.size) throw new Error(`${ckptDir}: checkpoint lacks ${n}`);
      assignValues(p, v);
    }
    const optState: Record<string, Float32Array> = {};
    for (const [n, v] of Object.entries(state.tensors)) if (n.startsWith('opt.')) optState[n.slice(4)] = v;
    opt.restore(optState, state.meta.step);
    ({ step, dev, seconds: secondsBefore } = state.meta);
    lossAcc = state.meta.lossAcc ?? 0;
    lossCount = state.meta.lossCount ?? 0;
    resumedFromStep = step;
    truncateMetrics(metricsFile, step);
    log(`${o.label}: resumed from step ${step} of ${total}`);
  } else {
    fs.rmSync(metricsFile, { force: true });
    fs.rmSync(ckptDir, { recursive: true, force: true });
  }

  const started = performance.now();
  const seconds = () => secondsBefore + (performance.now() - started) / 1000;
  const bar = progress(o.label, total, 'steps');
  bar.update(step);
  const vars = Object.values(params);
  let epochStart = 0;
  outer: for (let epoch = 0; epoch < config.epochs; epoch++) {
    const plan = plans[epoch]!;
    for (let b = Math.max(0, step - epochStart); b < plan.length; b++) {
      const lr = scheduledLr(config.optim, step, total);
      const { value, grads } = tf.variableGrads(() => o.loss(plan[b]!), vars);
      const named: Record<string, tf.Tensor | undefined> = {};
      for (const [n, p] of Object.entries(params)) named[n] = grads[p.name];
      const gradNorm = opt.apply(named, lr);
      lossAcc += value.dataSync()[0]!;
      lossCount++;
      tf.dispose([value, ...Object.values(grads)]);
      step++;
      bar.update(step);
      if (step % config.logEverySteps === 0) {
        appendMetrics(metricsFile, { step, epoch, split: 'train', loss: lossAcc / lossCount, lr, gradNorm });
        lossAcc = 0;
        lossCount = 0;
      }
      const epochEnd = b === plan.length - 1;
      if (epochEnd) {
        const metrics = o.evaluate();
        dev.push(metrics);
        appendMetrics(metricsFile, { step, epoch, split: 'dev', ...metrics });
        log(`${o.label}: epoch ${epoch + 1}/${config.epochs} dev ${formatMetrics(metrics)}`);
      }
      if (step % config.checkpointEverySteps === 0 || epochEnd) {
        writeCheckpoint(ckptDir, params, opt, { configHash: o.configHash, step, dev, seconds: seconds(), lossAcc, lossCount });
      }
      if (o.stopAfterSteps !== undefined && step >= o.stopAfterSteps) break outer;
    }
    epochStart += plan.length;
  }
  bar.stop();
  opt.dispose();
  const secs = seconds();
  return { steps: step, epochs: config.epochs, seconds: secs, examplesPerSecond: (step * config.batchSize) / Math.max(secs, 1e-9), dev, resumedFromStep };
}

export function formatMetrics(m: DevMetrics): string {
  if (m.uas !== undefined) return `UAS ${(100 * m.uas).toFixed(2)} over ${m.words} words, loss ${m.loss.toFixed(4)}`;
  return `micro-F1 ${(100 * m.microF1!).toFixed(2)} (P ${(100 * m.microP!).toFixed(2)} R ${(100 * m.microR!).toFixed(2)}), macro-F1 ${(100 * m.macroF1!).toFixed(2)}, acc ${(100 * m.accuracy!).toFixed(2)}, loss ${m.loss.toFixed(4)}`;
}

function appendMetrics(file: string, row: Record<string, unknown>): void {
  fs.appendFileSync(file, `${JSON.stringify(row)}\n`);
}

/** Drops log lines written after the checkpoint a run resumes from (they will be written again). */
function truncateMetrics(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  // A kill mid-append can leave a partial last line: it goes with the rest past the checkpoint.
  const stepOf = (l: string) => {
    try {
      return (JSON.parse(l) as { step: number }).step;
    } catch {
      return Infinity;
    }
  };
  const keep = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0 && stepOf(l) <= step);
  writeFileAtomic(file, keep.map((l) => `${l}\n`).join(''));
}

function writeCheckpoint(dir: string, params: Record<string, tf.Variable>, opt: AdamW, meta: CheckpointState): void {
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const [n, p] of Object.entries(params)) tensors[`param.${n}`] = { dtype: 'F32', shape: p.shape, data: p.dataSync() as Float32Array };
  for (const [n, t] of Object.entries(opt.state())) tensors[`opt.${n}`] = { dtype: 'F32', shape: t.shape, data: t.dataSync() as Float32Array };
  writeSafetensors(path.join(tmp, 'state.safetensors'), tensors);
  fs.writeFileSync(path.join(tmp, 'state.json'), `${JSON.stringify(meta, null, 2)}\n`);
  // Swap in whole: the old checkpoint goes only once the new one is complete.
  const old = `${dir}.old`;
  fs.rmSync(old, { recursive: true, force: true });
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  fs.rmSync(old, { recursive: true, force: true });
}

function readCheckpoint(dir: string): { meta: CheckpointState; tensors: Record<string, Float32Array> } | null {
  // A kill between the two renames leaves the previous checkpoint as .old: use it.
  for (const d of [dir, `${dir}.old`]) {
    const metaFile = path.join(d, 'state.json');
    const stFile = path.join(d, 'state.safetensors');
    if (!fs.existsSync(metaFile) || !fs.existsSync(stFile)) continue;
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as CheckpointState;
    const st = openSafetensors(stFile);
    const tensors: Record<string, Float32Array> = {};
    for (const n of st.tensors.keys()) tensors[n] = st.read(n);
    return { meta, tensors };
  }
  return null;
}

export type { EncodedExample };
