// The training loop shared by the adapters and the multi-task base: deterministic given the seed
// (initialisation and every epoch's order), checkpointed every few steps, resumed exactly.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { yieldToEventLoop } from '../util/interrupt.ts';
import { progress } from '../util/progress.ts';
import { appendMetrics, readCheckpoint, truncateMetrics, writeCheckpoint } from './checkpoint.ts';
import type { DevMetrics } from './dev-eval.ts';
import type { FeatureCache } from './features.ts';
import { AdamW, scheduledLr, type OptimConfig } from './optim.ts';
import { mulberry32, shuffled } from './rng.ts';
import { assignValues } from './variables.ts';

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  optim: OptimConfig;
  /** Steps between checkpoints (a multiple of logEverySteps, so a resumed log is identical). */
  checkpointEverySteps: number;
  logEverySteps: number;
}

export interface TrainResult {
  steps: number;
  epochs: number;
  seconds: number;
  examplesPerSecond: number;
  dev: DevMetrics[];
  resumedFromStep: number | null;
}

/** The batches of one epoch, in a seeded order: shards shuffled, examples shuffled within each. */
export function epochPlan(
  cache: FeatureCache,
  seed: number,
  epoch: number,
  batchSize: number,
): { shard: number; indices: number[] }[] {
  const rand = mulberry32(seed * 1_000_003 + epoch);
  const plan: { shard: number; indices: number[] }[] = [];
  for (const s of shuffled(
    cache.manifest.shards.map((_, i) => i),
    rand,
  )) {
    const order = shuffled(
      Array.from({ length: cache.manifest.shards[s]!.examples }, (_, i) => i),
      rand,
    );
    for (let i = 0; i < order.length; i += batchSize) plan.push({ shard: s, indices: order.slice(i, i + batchSize) });
  }
  return plan;
}

/** One optimisation step on a batch's loss (every tensor it makes is freed): the loss and the gradients' norm. */
export function trainStep(
  opt: AdamW,
  params: Record<string, tf.Variable>,
  loss: () => tf.Scalar,
  lr: number,
): { loss: number; gradNorm: number } {
  const { value, grads } = tf.variableGrads(loss, Object.values(params));
  const named: Record<string, tf.Tensor | undefined> = {};
  for (const [n, p] of Object.entries(params)) named[n] = grads[p.name];
  const gradNorm = opt.apply(named, lr);
  const l = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss: l, gradNorm };
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
  /** Dev metrics; it should yield to the event loop between batches (signals). */
  evaluate(): DevMetrics | Promise<DevMetrics>;
  /** The dev metrics in one line, for the log. */
  describe(m: DevMetrics): string;
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
  if (config.checkpointEverySteps % config.logEverySteps !== 0)
    throw new Error('checkpointEverySteps must be a multiple of logEverySteps');
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
  let epochStart = 0;
  outer: for (let epoch = 0; epoch < config.epochs; epoch++) {
    const plan = plans[epoch]!;
    for (let b = Math.max(0, step - epochStart); b < plan.length; b++) {
      const lr = scheduledLr(config.optim, step, total);
      const { loss, gradNorm } = trainStep(opt, params, () => o.loss(plan[b]!), lr);
      lossAcc += loss;
      lossCount++;
      step++;
      bar.update(step);
      if (step % config.logEverySteps === 0) {
        appendMetrics(metricsFile, { step, epoch, split: 'train', loss: lossAcc / lossCount, lr, gradNorm });
        lossAcc = 0;
        lossCount = 0;
      }
      const epochEnd = b === plan.length - 1;
      if (epochEnd) {
        const metrics = await o.evaluate();
        dev.push(metrics);
        appendMetrics(metricsFile, { step, epoch, split: 'dev', ...metrics });
        log(`${o.label}: epoch ${epoch + 1}/${config.epochs} dev ${o.describe(metrics)}`);
      }
      if (step % config.checkpointEverySteps === 0 || epochEnd) {
        writeCheckpoint(ckptDir, params, opt, {
          configHash: o.configHash,
          step,
          dev,
          seconds: seconds(),
          lossAcc,
          lossCount,
        });
      }
      // A turn of the event loop between steps, after the checkpoint: a signal stops the run here,
      // with its last checkpoint whole (every write above is synchronous and atomic).
      await yieldToEventLoop();
      if (o.stopAfterSteps !== undefined && step >= o.stopAfterSteps) break outer;
    }
    epochStart += plan.length;
  }
  bar.stop();
  opt.dispose();
  const secs = seconds();
  return {
    steps: step,
    epochs: config.epochs,
    seconds: secs,
    examplesPerSecond: (step * config.batchSize) / Math.max(secs, 1e-9),
    dev,
    resumedFromStep,
  };
}
