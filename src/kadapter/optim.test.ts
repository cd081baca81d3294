import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { AdamW, type OptimConfig } from './optim.ts';

beforeAll(async () => {
  await initBackend('cpu');
});

const CFG: OptimConfig = {
  lr: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.1,
  warmupRatio: 0.1,
  clipNorm: 1,
};
const SHAPES: Record<string, number[]> = { 'dense.w': [3, 4], 'dense.b': [4], 'ln.gamma': [4], 'out.w': [4, 2] };

/** AdamW one parameter at a time in plain numbers: what the tensor update must equal. */
class Reference {
  step = 0;
  m: Record<string, number[]> = {};
  v: Record<string, number[]> = {};
  constructor(
    readonly p: Record<string, number[]>,
    readonly decays: (n: string) => boolean,
  ) {
    for (const [n, x] of Object.entries(p)) {
      this.m[n] = x.map(() => 0);
      this.v[n] = x.map(() => 0);
    }
  }
  apply(grads: Record<string, number[] | undefined>, lr: number): number {
    const names = Object.keys(this.p).filter((n) => grads[n]);
    const norm = Math.sqrt(names.reduce((s, n) => s + grads[n]!.reduce((a, g) => a + g * g, 0), 0));
    const scale = norm > CFG.clipNorm ? CFG.clipNorm / (norm + 1e-6) : 1;
    this.step++;
    const c1 = 1 - CFG.beta1 ** this.step;
    const c2 = 1 - CFG.beta2 ** this.step;
    for (const n of names) {
      const p = this.p[n]!;
      const [m, v] = [this.m[n]!, this.v[n]!];
      grads[n]!.forEach((g0, i) => {
        const g = g0 * scale;
        m[i] = CFG.beta1 * m[i]! + (1 - CFG.beta1) * g;
        v[i] = CFG.beta2 * v[i]! + (1 - CFG.beta2) * g * g;
        let u = m[i]! / c1 / (Math.sqrt(v[i]! / c2) + CFG.eps);
        if (this.decays(n)) u += CFG.weightDecay * p[i]!;
        p[i] = p[i]! - lr * u;
      });
    }
    return norm;
  }
}

function draw(shape: number[], seed: number): number[] {
  const size = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: size }, (_, i) => Math.sin(seed * 97 + i * 13.7) * (1 + (i % 3)));
}

function setUp() {
  const start = Object.fromEntries(Object.entries(SHAPES).map(([n, s], k) => [n, draw(s, k + 1)]));
  const params = Object.fromEntries(Object.entries(start).map(([n, x]) => [n, tf.variable(tf.tensor(x, SHAPES[n]))]));
  const opt = new AdamW(CFG, params);
  const decays = (n: string) => opt.decay(n);
  const ref = new Reference(structuredClone(start), decays);
  return { params, opt, ref };
}

/** Gradients of step t; `skip` names parameters without one this step (the other task's head). */
function gradsAt(t: number, skip: string[] = []) {
  const plain: Record<string, number[] | undefined> = {};
  for (const [n, s] of Object.entries(SHAPES))
    plain[n] = skip.includes(n) ? undefined : draw(s, 10 + t).map((g) => g * (t % 2 ? 3 : 0.05));
  return plain;
}

function applyBoth(opt: AdamW, ref: Reference, plain: Record<string, number[] | undefined>, lr: number) {
  const grads = Object.fromEntries(Object.entries(plain).map(([n, g]) => [n, g ? tf.tensor(g, SHAPES[n]) : undefined]));
  const norm = opt.apply(grads, lr);
  tf.dispose(Object.values(grads).filter((g): g is tf.Tensor => g !== undefined));
  return { norm, refNorm: ref.apply(plain, lr) };
}

function expectClose(params: Record<string, tf.Variable>, ref: Reference) {
  for (const [n, v] of Object.entries(params)) {
    const got = Array.from(v.dataSync());
    got.forEach((x, i) => expect(x).toBeCloseTo(ref.p[n]![i]!, 5));
  }
}

describe('AdamW', () => {
  it('updates every parameter as one-parameter-at-a-time AdamW does: clipping, bias correction, decay where it applies', () => {
    const { params, opt, ref } = setUp();
    for (let t = 0; t < 6; t++) {
      const { norm, refNorm } = applyBoth(opt, ref, gradsAt(t), 0.01 * (t + 1));
      expect(norm).toBeCloseTo(refNorm, 4);
    }
    expectClose(params, ref);
    // The decay rule: biases and LayerNorm scales do not decay.
    expect(['dense.w', 'dense.b', 'ln.gamma', 'out.w'].map((n) => opt.decay(n))).toEqual([true, false, false, true]);
    opt.dispose();
  });

  it('leaves a parameter without a gradient alone, its moments included', () => {
    const { params, opt, ref } = setUp();
    const before = Array.from(params['out.w']!.dataSync());
    applyBoth(opt, ref, gradsAt(0, ['out.w']), 0.01);
    applyBoth(opt, ref, gradsAt(1, ['out.w']), 0.01);
    expect(Array.from(params['out.w']!.dataSync())).toEqual(before);
    // Its moments are still zero: its first update is the reference's first.
    applyBoth(opt, ref, gradsAt(2), 0.01);
    applyBoth(opt, ref, gradsAt(3, ['dense.w', 'dense.b']), 0.01);
    expectClose(params, ref);
    opt.dispose();
  });

  it('restores its state by name: a resumed optimizer continues exactly', () => {
    const a = setUp();
    for (let t = 0; t < 3; t++) applyBoth(a.opt, a.ref, gradsAt(t, t === 1 ? ['ln.gamma'] : []), 0.01);
    const state = a.opt.state();
    expect(Object.keys(state).sort()).toEqual(
      Object.keys(SHAPES)
        .flatMap((n) => [`m.${n}`, `v.${n}`])
        .sort(),
    );
    expect(state['m.dense.w']!.shape).toEqual([3, 4]);
    const saved = Object.fromEntries(
      Object.entries(state).map(([n, t]) => [n, (t.dataSync() as Float32Array).slice()]),
    );
    const b = setUp();
    for (const [n, v] of Object.entries(a.params)) b.params[n]!.assign(v);
    b.opt.restore(saved, a.opt.step);
    for (let t = 3; t < 5; t++) {
      applyBoth(a.opt, a.ref, gradsAt(t), 0.01);
      applyBoth(b.opt, b.ref, gradsAt(t), 0.01);
    }
    for (const n of Object.keys(SHAPES))
      expect(Array.from(b.params[n]!.dataSync())).toEqual(Array.from(a.params[n]!.dataSync()));
    expect(() => b.opt.restore({ ...saved, 'v.out.w': new Float32Array(3) }, 1)).toThrow(/optimizer state v.out.w/);
    a.opt.dispose();
    b.opt.dispose();
  });

  it('frees what it makes: a step leaves the tensor count as it was', () => {
    const { opt, ref } = setUp();
    applyBoth(opt, ref, gradsAt(0, ['out.w']), 0.01);
    const count = tf.memory().numTensors;
    applyBoth(opt, ref, gradsAt(1, ['out.w']), 0.01);
    applyBoth(opt, ref, gradsAt(2), 0.01);
    expect(tf.memory().numTensors).toBe(count);
    opt.dispose();
  });
});
