// AdamW (decoupled weight decay) with linear warm-up and linear decay to zero, and clipping by
// global norm — what K-Adapter pre-training uses. Its state (m, v, step) is named so a checkpoint
// can save and restore it exactly.
//
// The moments live in two flat vectors over every parameter and the update runs on those: a step
// costs ~15 ops plus four a parameter tensor, where one tensor at a time cost ~25 a parameter
// (the ops, not the arithmetic, are what a small model's step pays for on the native backend).
import * as tf from '@tensorflow/tfjs';
import type { OptimSettings } from '../config/schema.ts';
import { assignValues, variableFrom } from './variables.ts';

/** AdamW as one use runs it: its learning rate and the settings (src/config/schema.ts OPTIM_DEFAULTS unless changed). */
export type OptimConfig = OptimSettings & { lr: number };

/** Learning rate at step s (0-based) of `total`. */
export function scheduledLr(cfg: OptimConfig, step: number, total: number): number {
  const warm = Math.max(1, Math.round(cfg.warmupRatio * total));
  if (step < warm) return (cfg.lr * (step + 1)) / warm;
  return cfg.lr * Math.max(0, (total - step) / Math.max(1, total - warm));
}

/** Biases and LayerNorm (ours or Hugging Face-named) do not decay. */
const decaysByDefault = (n: string) => !/(\.(b|beta|gamma|bias)|LayerNorm\.weight)$/.test(n);

export class AdamW {
  step = 0;
  private readonly names: string[];
  private readonly offsets: number[];
  /** Flat moments: parameter `names[i]` owns [offsets[i], offsets[i] + size). */
  private readonly mFlat: tf.Variable;
  private readonly vFlat: tf.Variable;
  /** 1 where a parameter's gradient came this step, 0 elsewhere, by which parameters had one. */
  private readonly present = new Map<string, tf.Tensor1D>();

  /** `decay(name)` says which parameters decay. */
  constructor(
    readonly cfg: OptimConfig,
    readonly params: Record<string, tf.Variable>,
    readonly decay: (name: string) => boolean = decaysByDefault,
  ) {
    this.names = Object.keys(params);
    this.offsets = [0];
    for (const n of this.names) this.offsets.push(this.offsets.at(-1)! + params[n]!.size);
    const total = this.offsets.at(-1)!;
    this.mFlat = variableFrom(() => tf.zeros([total]), false);
    this.vFlat = variableFrom(() => tf.zeros([total]), false);
  }

  /**
   * One update from gradients by name; returns the gradients' global norm before clipping.
   * A parameter without a gradient this step (a head the batch's task does not use) is left
   * alone, moments included, as PyTorch does with a None gradient.
   */
  apply(grads: Record<string, tf.Tensor | undefined>, lr: number): number {
    const has = this.names.map((n) => grads[n] !== undefined);
    if (!has.some(Boolean)) return 0;
    const all = has.every(Boolean);
    const { beta1: b1, beta2: b2, eps, weightDecay, clipNorm } = this.cfg;
    return tf.tidy(() => {
      const g = tf.concat(this.names.map((n, i) => (has[i] ? grads[n]!.reshape([-1]) : tf.zeros([this.sizeOf(i)]))));
      const norm = Math.sqrt(g.square().sum().dataSync()[0]!);
      const scale = clipNorm > 0 && norm > clipNorm ? clipNorm / (norm + 1e-6) : 1;
      this.step++;
      const c1 = 1 - b1 ** this.step;
      const c2 = 1 - b2 ** this.step;
      const gs = scale === 1 ? g : g.mul(scale);
      // Moments of a parameter without a gradient keep their values: m + mask·(new − m).
      const mask = all ? null : this.presentMask(has);
      const blend = (old: tf.Tensor, next: tf.Tensor) => (mask ? old.add(next.sub(old).mul(mask)) : next);
      const m = blend(this.mFlat, this.mFlat.mul(b1).add(gs.mul(1 - b1)));
      const v = blend(this.vFlat, this.vFlat.mul(b2).add(gs.square().mul(1 - b2)));
      this.mFlat.assign(m);
      this.vFlat.assign(v);
      // lr·m̂/(√v̂ + eps), split back to the parameters; decay is applied per parameter.
      const step = m.mul(lr / c1).div(v.div(c2).sqrt().add(eps));
      const pieces = tf.split(
        step,
        this.names.map((_, i) => this.sizeOf(i)),
      );
      this.names.forEach((n, i) => {
        if (!has[i]) return;
        const p = this.params[n]!;
        const decayed = weightDecay > 0 && this.decay(n) ? p.mul(1 - lr * weightDecay) : p;
        p.assign(decayed.sub(pieces[i]!.reshape(p.shape)));
      });
      return norm;
    });
  }

  private sizeOf(i: number): number {
    return this.offsets[i + 1]! - this.offsets[i]!;
  }

  private presentMask(has: boolean[]): tf.Tensor1D {
    const key = has.map((h) => (h ? '1' : '0')).join('');
    let mask = this.present.get(key);
    if (!mask) {
      mask = tf.keep(tf.concat(has.map((h, i) => tf.fill([this.sizeOf(i)], h ? 1 : 0))) as tf.Tensor1D);
      this.present.set(key, mask);
    }
    return mask;
  }

  /** State tensors by name, for checkpoints (copies: the caller disposes them). */
  state(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [prefix, flat] of [
      ['m', this.mFlat],
      ['v', this.vFlat],
    ] as const)
      this.names.forEach((n, i) => {
        out[`${prefix}.${n}`] = tf.tidy(() =>
          flat.slice(this.offsets[i]!, this.sizeOf(i)).reshape(this.params[n]!.shape),
        );
      });
    return out;
  }

  restore(state: Record<string, Float32Array>, step: number): void {
    for (const [prefix, flat] of [
      ['m', this.mFlat],
      ['v', this.vFlat],
    ] as const) {
      const values = new Float32Array(flat.size);
      this.names.forEach((n, i) => {
        const name = `${prefix}.${n}`;
        const part = state[name];
        if (!part || part.length !== this.sizeOf(i))
          throw new Error(`checkpoint lacks optimizer state ${name} of ${this.sizeOf(i)} values`);
        values.set(part, this.offsets[i]!);
      });
      assignValues(flat, values);
    }
    this.step = step;
  }

  dispose(): void {
    tf.dispose([this.mFlat, this.vFlat, ...this.present.values()]);
    this.present.clear();
  }
}
