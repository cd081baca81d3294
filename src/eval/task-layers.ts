// The task layers trained on the vectors of a row (SPEC §7): the combination of the base's h_L
// with the row's components, then a linear task head.
//   none     f = dense(h_L)
//   sum      f = dense(h_L + Σ_k c_k)
//   concat   f = out([dense_1([h_L ; c_1]) ; … ; dense_K([h_L ; c_K])])
// Every row gets a dense layer before the head, so a row differs from the base by what its
// features hold, not by how many trainable layers it has (the random-adapter row controls the rest).
// The head is the task's (src/tasks/downstream): logits = W [f_1 ; … ; f_k] over the k pooled
// positions of one prediction (typing W f@, relations W [f@ ; f#], POS W f_word), with its own
// targets, loss and predictions. The epoch with the best dev score gives the test predictions.
// The vectors come from a RowSource: pooled features for `frozen`, a live forward pass through a
// trainable base for `finetune`; the task layers and the loop are the same for both.
import * as tf from '@tensorflow/tfjs';
import type { CombineKind } from '../data/composition.ts';
import { OPTIM_DEFAULTS } from '../config/schema.ts';
import { Initializer } from '../kadapter/adapter.ts';
import type { Linear } from '../kadapter/encoder-weights.ts';
import { linear } from '../kadapter/layers.ts';
import { AdamW, scheduledLr } from '../kadapter/optim.ts';
import { mulberry32, shuffled } from '../kadapter/rng.ts';
import { assignValues } from '../kadapter/variables.ts';
import { BASE_KEY } from './components.ts';
import type { ComponentInput } from './rows.ts';
import type { RowSource } from './pooled.ts';
import { downstreamTask, type DownstreamTask } from '../tasks/downstream/index.ts';
import { yieldToEventLoop } from '../util/interrupt.ts';

export interface TaskLayerSpec {
  /** The downstream task's name (src/tasks/downstream). */
  task: string;
  labels: string[];
  /** The components combined with the base's h_L (none for a row without components). */
  components: ComponentInput[];
  combine: CombineKind;
}

/** Every vector key a spec reads, the base's h_L first. */
export const inputKeys = (spec: TaskLayerSpec): string[] => [
  BASE_KEY,
  ...spec.components.flatMap((c) => ('key' in c ? [c.key] : c.mix)),
];

export interface TaskLayerConfig {
  /** The most epochs; training stops earlier once dev has not improved for `patience` epochs. */
  epochs: number;
  patience: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  seed: number;
}

/** A scalar mix: γ · Σ_i softmax(s)_i · h_i (ELMo); s starts at 0 (an even mix), γ at 1. */
interface MixWeights {
  s: tf.Variable;
  gamma: tf.Variable;
}

interface TaskLayerWeights {
  fuse: Linear[];
  fuseOut: Linear;
  head: Linear;
  /** Per component: its scalar mix, or null. */
  mix: (MixWeights | null)[];
}

/** How one kind of combination makes its layers, and applies them to h_L [P, H] and the components' [P, H] each. */
interface CombineLayers {
  init(init: Initializer, H: number, K: number): Pick<TaskLayerWeights, 'fuse' | 'fuseOut'>;
  apply(w: TaskLayerWeights, h: tf.Tensor2D, parts: tf.Tensor2D[]): tf.Tensor2D;
}

const dense = (init: Initializer, H: number) => ({ fuse: [], fuseOut: init.linear(H, H, 0.02) });

/** One table: each combine kind to its layers. */
export const COMBINE: Record<CombineKind, CombineLayers> = {
  none: { init: dense, apply: (w, h) => linear(h, w.fuseOut) as tf.Tensor2D },
  sum: {
    init: dense,
    apply: (w, h, parts) =>
      linear(
        parts.reduce((acc: tf.Tensor, c) => acc.add(c), h),
        w.fuseOut,
      ) as tf.Tensor2D,
  },
  concat: {
    init: (init, H, K) => ({
      fuse: Array.from({ length: K }, () => init.linear(2 * H, H, 0.02)),
      fuseOut: init.linear(K * H, H, 0.02),
    }),
    apply: (w, h, parts) =>
      linear(
        tf.concat(
          parts.map((c, k) => linear(tf.concat([h, c], -1), w.fuse[k]!)),
          -1,
        ),
        w.fuseOut,
      ) as tf.Tensor2D,
  },
};

/** Extra variables trained with the task layers (the base, under `finetune`), at their own rate. */
export interface AlsoTrained {
  params: Record<string, tf.Variable>;
  lr: number;
}

export interface TaskLayerRun {
  /** Dev score per epoch (the task's main metric). */
  devByEpoch: number[];
  bestEpoch: number;
  /** Each test example's prediction (the task's own: typing logits, a relation, a tag per word), at the best dev epoch. */
  test: Outputs;
  dev: Outputs;
  seconds: number;
  /** Epochs trained before early stopping (≤ the configured most). */
  epochsRun: number;
  /** Trainable parameters of the task layers (the base's, under finetune, not counted). */
  parameters: number;
  /** The task layers at the best dev epoch, by name. */
  weights: Record<string, { shape: number[]; data: Float32Array }>;
  /** The extra trained variables at the best dev epoch (finetune: the base). */
  alsoWeights?: Record<string, { shape: number[]; data: Float32Array }>;
}

/** One prediction per example, of the task's own type: generic code hands them back to the task unopened. */
export type Outputs = unknown[];

function initTaskLayers(spec: TaskLayerSpec, H: number, seed: number): TaskLayerWeights {
  const init = new Initializer(seed);
  const width = downstreamTask(spec.task).positionsPerPrediction * H;
  const fused = COMBINE[spec.combine].init(init, H, spec.components.length);
  const head = init.linear(width, spec.labels.length, 0.02);
  // Made after the seeded layers, so rows without a mix initialise exactly as before.
  const mix = spec.components.map((c) =>
    'mix' in c ? { s: init.zeros([c.mix.length]), gamma: init.ones([1]) } : null,
  );
  return { ...fused, head, mix };
}

function params(w: TaskLayerWeights): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  w.fuse.forEach((l, k) => Object.assign(out, { [`fuse.${k}.w`]: l.w, [`fuse.${k}.b`]: l.b }));
  Object.assign(out, { 'fuseOut.w': w.fuseOut.w, 'fuseOut.b': w.fuseOut.b });
  Object.assign(out, { 'head.w': w.head.w, 'head.b': w.head.b });
  // The mix logits decay towards an even mix (ELMo regularises them likewise); γ does not decay.
  w.mix.forEach((m, k) => m && Object.assign(out, { [`mix.${k}.s`]: m.s, [`mix.${k}.gamma`]: m.gamma }));
  return out;
}

function mixOf(m: MixWeights, hs: tf.Tensor2D[]): tf.Tensor2D {
  const weights = tf.softmax(m.s).reshape([-1, 1, 1]);
  return tf.stack(hs).mul(weights).sum(0).mul(m.gamma) as tf.Tensor2D;
}

function logitsOf(
  w: TaskLayerWeights,
  spec: TaskLayerSpec,
  task: DownstreamTask,
  rows: Record<string, tf.Tensor2D>,
): tf.Tensor2D {
  const parts = spec.components.map((c, k) =>
    'key' in c
      ? rows[c.key]!
      : mixOf(
          w.mix[k]!,
          c.mix.map((key) => rows[key]!),
        ),
  );
  let f = COMBINE[spec.combine].apply(w, rows[BASE_KEY]!, parts);
  // A prediction reads k pooled positions: [P, H] → [P / k, kH].
  const k = task.positionsPerPrediction;
  if (k > 1) f = f.reshape([-1, k * f.shape[1]]);
  return linear(f, w.head) as tf.Tensor2D;
}

async function predict(
  w: TaskLayerWeights,
  spec: TaskLayerSpec,
  task: DownstreamTask,
  d: RowSource,
  batchSize: number,
): Promise<Outputs> {
  const names = inputKeys(spec);
  const out: Outputs = [];
  for (let i = 0; i < d.examples.length; i += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, d.examples.length - i) }, (_, k) => i + k);
    const l = tf.tidy(() => logitsOf(w, spec, task, d.rows(idx, names).rows));
    const arr = l.arraySync();
    l.dispose();
    out.push(
      ...task.predict(
        arr,
        idx.map((j) => d.examples[j]!),
        spec.labels,
      ),
    );
    await yieldToEventLoop(); // live rows run the base: a turn for signals between batches
  }
  return out;
}

const snapshot = (p: Record<string, tf.Variable>) =>
  Object.fromEntries(
    Object.entries(p).map(([n, v]) => [n, { shape: v.shape, data: (v.dataSync() as Float32Array).slice() }]),
  );

/** Trains task layers (and `also`'s parameters); yields to the event loop between steps (signals). */
export async function trainTaskLayers(
  spec: TaskLayerSpec,
  cfg: TaskLayerConfig,
  train: RowSource,
  dev: RowSource,
  test: RowSource,
  score: (split: 'dev', out: Outputs) => number,
  also?: AlsoTrained,
): Promise<TaskLayerRun> {
  const started = performance.now();
  const task = downstreamTask(spec.task);
  const w = initTaskLayers(spec, train.hidden, cfg.seed);
  const p = params(w);
  const optim = { ...OPTIM_DEFAULTS, weightDecay: cfg.weightDecay };
  const opt = new AdamW({ lr: cfg.lr, ...optim }, p);
  const alsoOpt = also ? new AdamW({ lr: also.lr, ...optim }, also.params) : null;
  const all = {
    ...p,
    ...(also ? Object.fromEntries(Object.entries(also.params).map(([n, v]) => [`also.${n}`, v])) : {}),
  };
  const index = new Map(spec.labels.map((l, i) => [l, i]));
  const names = inputKeys(spec);
  const stepsPerEpoch = Math.ceil(train.examples.length / cfg.batchSize);
  const total = stepsPerEpoch * cfg.epochs;
  let step = 0;
  const devByEpoch: number[] = [];
  const parameters = Object.values(p).reduce((n, v) => n + v.size, 0);
  let epochsRun = 0;
  let best = {
    epoch: -1,
    score: -Infinity,
    dev: [] as Outputs,
    test: [] as Outputs,
    weights: {} as TaskLayerRun['weights'],
    alsoWeights: undefined as TaskLayerRun['alsoWeights'],
  };
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const order = shuffled(
      Array.from({ length: train.examples.length }, (_, i) => i),
      mulberry32(cfg.seed * 7_919 + epoch),
    );
    for (let b = 0; b < order.length; b += cfg.batchSize) {
      const idx = order.slice(b, b + cfg.batchSize);
      const y = task.targets(
        idx.map((i) => train.examples[i]!),
        index,
      );
      // The rows are built inside the gradient's scope: live rows (finetune) carry the base's gradient.
      const { value, grads } = tf.variableGrads(
        () => task.loss(logitsOf(w, spec, task, train.rows(idx, names).rows), y),
        Object.values(all),
      );
      const pick = (vars: Record<string, tf.Variable>) =>
        Object.fromEntries(Object.entries(vars).map(([n, v]) => [n, grads[v.name]]));
      const lr = (o: AdamW) => scheduledLr(o.cfg, step, total);
      opt.apply(pick(p), lr(opt));
      if (alsoOpt && also) alsoOpt.apply(pick(also.params), lr(alsoOpt));
      step++;
      tf.dispose([value, y, ...Object.values(grads)]);
      await yieldToEventLoop();
    }
    const devOut = await predict(w, spec, task, dev, 256);
    const s = score('dev', devOut);
    devByEpoch.push(s);
    epochsRun = epoch + 1;
    if (s > best.score)
      best = {
        epoch,
        score: s,
        dev: devOut,
        test: await predict(w, spec, task, test, 256),
        weights: snapshot(p),
        alsoWeights: also ? snapshot(also.params) : undefined,
      };
    else if (epoch - best.epoch >= cfg.patience) break;
  }
  opt.dispose();
  alsoOpt?.dispose();
  tf.dispose(Object.values(p));
  return {
    devByEpoch,
    bestEpoch: best.epoch,
    dev: best.dev,
    test: best.test,
    seconds: (performance.now() - started) / 1000,
    epochsRun,
    parameters,
    weights: best.weights,
    alsoWeights: best.alsoWeights,
  };
}

/** Task layers saved by a run, applied to new vectors (scoring any file). */
export async function predictWithTaskLayers(
  spec: TaskLayerSpec,
  weights: Record<string, Float32Array>,
  hidden: number,
  data: RowSource,
): Promise<Outputs> {
  const w = initTaskLayers(spec, hidden, 0);
  for (const [n, v] of Object.entries(params(w))) {
    const values = weights[n];
    if (!values || values.length !== v.size) throw new Error(`saved task layers lack ${n} of ${v.size} values`);
    assignValues(v, values);
  }
  const out = await predict(w, spec, downstreamTask(spec.task), data, 256);
  tf.dispose(Object.values(params(w)));
  return out;
}
