// AdamW (decoupled weight decay) with linear warm-up and linear decay to zero, and clipping by
// global norm — what K-Adapter pre-training uses. Its state (m, v, step) is named so a checkpoint
// can save and restore it exactly.
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

export class AdamW {
  step = 0;
  readonly m: Map<string, tf.Variable>;
  readonly v: Map<string, tf.Variable>;

  /** `decay(name)` says which parameters decay: not biases and LayerNorm (ours or HF-named). */
  constructor(
    readonly cfg: OptimConfig,
    readonly params: Record<string, tf.Variable>,
    readonly decay: (name: string) => boolean = (n) => !/(\.(b|beta|gamma|bias)|LayerNorm\.weight)$/.test(n),
  ) {
    this.m = new Map(Object.entries(params).map(([n, p]) => [n, variableFrom(() => tf.zerosLike(p), false)]));
    this.v = new Map(Object.entries(params).map(([n, p]) => [n, variableFrom(() => tf.zerosLike(p), false)]));
  }

  /**
   * One update from gradients by name; returns the gradients' global norm before clipping.
   * A parameter without a gradient this step (a head the batch's task does not use) is left
   * alone, moments included, as PyTorch does with a None gradient.
   */
  apply(grads: Record<string, tf.Tensor | undefined>, lr: number): number {
    const names = Object.keys(this.params).filter((n) => grads[n] !== undefined);
    const norm = tf.tidy(() => Math.sqrt(tf.addN(names.map((n) => grads[n]!.square().sum())).dataSync()[0]!));
    const scale = this.cfg.clipNorm > 0 && norm > this.cfg.clipNorm ? this.cfg.clipNorm / (norm + 1e-6) : 1;
    this.step++;
    const { beta1: b1, beta2: b2, eps, weightDecay } = this.cfg;
    const c1 = 1 - b1 ** this.step;
    const c2 = 1 - b2 ** this.step;
    tf.tidy(() => {
      for (const n of names) {
        const p = this.params[n]!;
        const g = scale === 1 ? grads[n]! : grads[n]!.mul(scale);
        const m = this.m.get(n)!;
        const v = this.v.get(n)!;
        m.assign(m.mul(b1).add(g.mul(1 - b1)));
        v.assign(v.mul(b2).add(g.square().mul(1 - b2)));
        let update = m.div(c1).div(v.div(c2).sqrt().add(eps));
        if (weightDecay > 0 && this.decay(n)) update = update.add(p.mul(weightDecay));
        p.assign(p.sub(update.mul(lr)));
      }
    });
    return norm;
  }

  /** State tensors by name, for checkpoints. */
  state(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [n, t] of this.m) out[`m.${n}`] = t;
    for (const [n, t] of this.v) out[`v.${n}`] = t;
    return out;
  }

  restore(state: Record<string, Float32Array>, step: number): void {
    for (const [n, t] of Object.entries(this.state())) {
      const values = state[n];
      if (!values || values.length !== t.size)
        throw new Error(`checkpoint lacks optimizer state ${n} of ${t.size} values`);
      assignValues(t as tf.Variable, values);
    }
    this.step = step;
  }

  dispose(): void {
    tf.dispose([...this.m.values(), ...this.v.values()]);
  }
}
