// Task layers trained on frozen pooled features (the `frozen` protocol): the combination of base
// and adapter outputs (SPEC §7), then a linear task head.
//   base     f = dense(h_L)
//   sum      f = dense(h_L + Σ_k a_k)
//   concat   f = out([dense_1([h_L ; a_1]) ; … ; dense_K([h_L ; a_K])])
// Every row gets a dense layer before the head, so a row differs from the base by what its
// features hold, not by how many trainable layers it has (the random-adapter row controls the rest).
//   typing   logits = W f@              (sigmoid per label)
//   relation logits = W [f@ ; f#]       (softmax)
//   pos      logits = W f_word          (softmax, every word)
// The epoch with the best dev score gives the test predictions.
// The vectors come from a RowSource: pooled features for `frozen`, a live forward pass through a
// trainable base for `finetune`; the task layers and the loop are the same for both.
import * as tf from '@tensorflow/tfjs';
import { Initializer } from '../kadapter/adapter.ts';
import type { Linear } from '../kadapter/encoder-weights.ts';
import { crossEntropy } from '../kadapter/heads.ts';
import { linear } from '../kadapter/layers.ts';
import { AdamW, scheduledLr } from '../kadapter/optim.ts';
import { mulberry32, shuffled } from '../kadapter/rng.ts';
import type { PooledSet } from './pooled.ts';
import type { TaskExample, TaskName } from './tasks.ts';
import { assignValues } from '../kadapter/variables.ts';

export type Combine = 'sum' | 'concat';

export interface ProbeSpec {
  task: TaskName;
  labels: string[];
  /** Adapter components fused with the base's h_L (none for the plain base). */
  adapters: string[];
  combine: Combine;
}

export interface ProbeConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  seed: number;
}

interface ProbeWeights {
  fuse: Linear[];
  fuseOut?: Linear;
  head: Linear;
}

/** Where a batch's vectors come from. */
export interface RowSource {
  examples: TaskExample[];
  hidden: number;
  /** [P, H] per component (`base` and the named adapters) for the chosen examples, and positions per example. */
  rows(idx: number[], names: string[]): { rows: Record<string, tf.Tensor2D>; perExample: number[] };
}

/** Extra variables trained with the task layers (the base, under `finetune`), at their own rate. */
export interface AlsoTrained {
  params: Record<string, tf.Variable>;
  lr: number;
}

export interface ProbeRun {
  /** Dev score per epoch (the task's main metric). */
  devByEpoch: number[];
  bestEpoch: number;
  /** Test logits (typing: [N, C]) or predicted label per position, at the best dev epoch. */
  test: { logits?: number[][]; predicted?: string[][] };
  dev: { logits?: number[][]; predicted?: string[][] };
  seconds: number;
  /** The task layers at the best dev epoch, by name. */
  weights: Record<string, { shape: number[]; data: Float32Array }>;
  /** The extra trained variables at the best dev epoch (finetune: the base). */
  alsoWeights?: Record<string, { shape: number[]; data: Float32Array }>;
}

function initProbe(spec: ProbeSpec, H: number, seed: number): ProbeWeights {
  const init = new Initializer(seed);
  const concat = spec.combine === 'concat' && spec.adapters.length > 0;
  const width = spec.task === 'relation' ? 2 * H : H;
  return {
    fuse: concat ? spec.adapters.map(() => init.linear(2 * H, H, 0.02)) : [],
    fuseOut: concat ? init.linear(spec.adapters.length * H, H, 0.02) : init.linear(H, H, 0.02),
    head: init.linear(width, spec.labels.length, 0.02),
  };
}

function params(w: ProbeWeights): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  w.fuse.forEach((l, k) => Object.assign(out, { [`fuse.${k}.w`]: l.w, [`fuse.${k}.b`]: l.b }));
  if (w.fuseOut) Object.assign(out, { 'fuseOut.w': w.fuseOut.w, 'fuseOut.b': w.fuseOut.b });
  Object.assign(out, { 'head.w': w.head.w, 'head.b': w.head.b });
  return out as Record<string, tf.Variable>;
}

/** Pooled features as a row source: the chosen examples' rows of every component, copied out. */
export function pooledSource(examples: TaskExample[], pooled: PooledSet): RowSource {
  const H = pooled.hidden;
  return {
    examples,
    hidden: H,
    rows(idx, names) {
      const perExample = idx.map((i) => examples[i]!.positions.length);
      const P = perExample.reduce((a, b) => a + b, 0);
      const rows: Record<string, tf.Tensor2D> = {};
      for (const name of names) {
        const src = pooled.components[name];
        if (!src) throw new Error(`pooled features lack the component "${name}"`);
        const buf = new Float32Array(P * H);
        let at = 0;
        idx.forEach((i, k) => {
          const o = pooled.offsets[i]! * H;
          buf.set(src.subarray(o, o + perExample[k]! * H), at);
          at += perExample[k]! * H;
        });
        rows[name] = tf.tensor2d(buf, [P, H]);
      }
      return { rows, perExample };
    },
  };
}

/** A source restricted to some of its examples (a smaller training set). */
export function subsetSource(src: RowSource, idx: number[]): RowSource {
  return { examples: idx.map((i) => src.examples[i]!), hidden: src.hidden, rows: (chosen, names) => src.rows(chosen.map((k) => idx[k]!), names) };
}

function logitsOf(w: ProbeWeights, spec: ProbeSpec, rows: Record<string, tf.Tensor2D>): tf.Tensor2D {
  const h = rows.base!;
  let f: tf.Tensor2D;
  if (spec.adapters.length === 0) f = linear(h, w.fuseOut!) as tf.Tensor2D;
  else if (spec.combine === 'sum') f = linear(spec.adapters.reduce((acc, a) => acc.add(rows[a]!), h as tf.Tensor), w.fuseOut!) as tf.Tensor2D;
  else {
    const parts = spec.adapters.map((a, k) => linear(tf.concat([h, rows[a]!], -1), w.fuse[k]!));
    f = linear(tf.concat(parts, -1), w.fuseOut!) as tf.Tensor2D;
  }
  // Relations pool two positions per example: [P, H] → [N, 2H].
  if (spec.task === 'relation') f = f.reshape([-1, 2 * f.shape[1]]);
  return linear(f, w.head) as tf.Tensor2D;
}

function targets(spec: ProbeSpec, d: RowSource, idx: number[], index: Map<string, number>): tf.Tensor {
  if (spec.task === 'entity-typing') {
    const C = spec.labels.length;
    const y = new Float32Array(idx.length * C);
    idx.forEach((i, k) => d.examples[i]!.gold.forEach((g) => index.has(g) && (y[k * C + index.get(g)!] = 1)));
    return tf.tensor2d(y, [idx.length, C]);
  }
  // relation: one label per example; pos: one per position. Unseen labels are -1 (no loss).
  const ys = idx.flatMap((i) => d.examples[i]!.gold.map((g) => index.get(g) ?? -1));
  return tf.tensor1d(ys, 'int32');
}

function lossOf(spec: ProbeSpec, logits: tf.Tensor2D, y: tf.Tensor): tf.Scalar {
  if (spec.task === 'entity-typing') return tf.losses.sigmoidCrossEntropy(y, logits) as tf.Scalar;
  return crossEntropy(logits, y as tf.Tensor1D);
}

function predict(w: ProbeWeights, spec: ProbeSpec, d: RowSource, batchSize: number): { logits?: number[][]; predicted?: string[][] } {
  const names = ['base', ...spec.adapters];
  const logitsOut: number[][] = [];
  const predicted: string[][] = [];
  for (let i = 0; i < d.examples.length; i += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, d.examples.length - i) }, (_, k) => i + k);
    const perExample = idx.map((j) => d.examples[j]!.positions.length);
    const l = tf.tidy(() => logitsOf(w, spec, d.rows(idx, names).rows));
    const arr = l.arraySync();
    l.dispose();
    if (spec.task === 'entity-typing') logitsOut.push(...arr);
    else {
      const best = arr.map((r) => spec.labels[r.indexOf(Math.max(...r))]!);
      if (spec.task === 'relation') best.forEach((b) => predicted.push([b]));
      else {
        let at = 0;
        for (const n of perExample) {
          predicted.push(best.slice(at, at + n));
          at += n;
        }
      }
    }
  }
  return spec.task === 'entity-typing' ? { logits: logitsOut } : { predicted };
}

const snapshot = (p: Record<string, tf.Variable>) => Object.fromEntries(Object.entries(p).map(([n, v]) => [n, { shape: v.shape, data: (v.dataSync() as Float32Array).slice() }]));

export function trainProbe(
  spec: ProbeSpec,
  cfg: ProbeConfig,
  train: RowSource,
  dev: RowSource,
  test: RowSource,
  score: (split: 'dev', out: ProbeRun['dev']) => number,
  also?: AlsoTrained,
): ProbeRun {
  const started = performance.now();
  const w = initProbe(spec, train.hidden, cfg.seed);
  const p = params(w);
  const optim = { weightDecay: cfg.weightDecay, beta1: 0.9, beta2: 0.999, eps: 1e-6, warmupRatio: 0.1, clipNorm: 1 };
  const opt = new AdamW({ lr: cfg.lr, ...optim }, p);
  const alsoOpt = also ? new AdamW({ lr: also.lr, ...optim }, also.params) : null;
  const all = { ...p, ...(also ? Object.fromEntries(Object.entries(also.params).map(([n, v]) => [`also.${n}`, v])) : {}) };
  const index = new Map(spec.labels.map((l, i) => [l, i]));
  const names = ['base', ...spec.adapters];
  const stepsPerEpoch = Math.ceil(train.examples.length / cfg.batchSize);
  const total = stepsPerEpoch * cfg.epochs;
  let step = 0;
  const devByEpoch: number[] = [];
  let best = { epoch: -1, score: -Infinity, dev: {} as ProbeRun['dev'], test: {} as ProbeRun['test'], weights: {} as ProbeRun['weights'], alsoWeights: undefined as ProbeRun['alsoWeights'] };
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const order = shuffled(Array.from({ length: train.examples.length }, (_, i) => i), mulberry32(cfg.seed * 7_919 + epoch));
    for (let b = 0; b < order.length; b += cfg.batchSize) {
      const idx = order.slice(b, b + cfg.batchSize);
      const y = targets(spec, train, idx, index);
      // The rows are built inside the gradient's scope: live rows (finetune) carry the base's gradient.
      const { value, grads } = tf.variableGrads(() => lossOf(spec, logitsOf(w, spec, train.rows(idx, names).rows), y), Object.values(all));
      const pick = (vars: Record<string, tf.Variable>) => Object.fromEntries(Object.entries(vars).map(([n, v]) => [n, grads[v.name]]));
      const lr = (o: AdamW) => scheduledLr(o.cfg, step, total);
      opt.apply(pick(p), lr(opt));
      if (alsoOpt && also) alsoOpt.apply(pick(also.params), lr(alsoOpt));
      step++;
      tf.dispose([value, y, ...Object.values(grads)]);
    }
    const devOut = predict(w, spec, dev, 256);
    const s = score('dev', devOut);
    devByEpoch.push(s);
    if (s > best.score) best = { epoch, score: s, dev: devOut, test: predict(w, spec, test, 256), weights: snapshot(p), alsoWeights: also ? snapshot(also.params) : undefined };
  }
  opt.dispose();
  alsoOpt?.dispose();
  tf.dispose(Object.values(p));
  return { devByEpoch, bestEpoch: best.epoch, dev: best.dev, test: best.test, seconds: (performance.now() - started) / 1000, weights: best.weights, alsoWeights: best.alsoWeights };
}

/** Task layers saved by a run, applied to new pooled features (scoring any file). */
export function predictWithWeights(spec: ProbeSpec, weights: Record<string, Float32Array>, hidden: number, data: RowSource): ProbeRun['test'] {
  const w = initProbe(spec, hidden, 0);
  for (const [n, v] of Object.entries(params(w))) {
    const values = weights[n];
    if (!values || values.length !== v.size) throw new Error(`saved task layers lack ${n} of ${v.size} values`);
    assignValues(v, values);
  }
  const out = predict(w, spec, data, 256);
  tf.dispose(Object.values(params(w)));
  return out;
}
