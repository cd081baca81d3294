// AdamW (decoupled weight decay) with linear warm-up and linear decay to zero, and clipping by
// global norm — what K-Adapter pre-training uses. Its state (m, v, step) is named so a checkpoint
// can save and restore it exactly.
//
// The moments live in flat vectors, one pair per group of parameters that get their gradients
// together, and the update runs on those: a step costs ~15 ops a group plus four a parameter
// tensor, where one tensor at a time cost ~25 a parameter (the ops, not the arithmetic, are what a
// small model's step pays for on the native backend). All parameters start as one group; a step
// that leaves some without a gradient (the multi-task baseline's other head) splits the groups it
// cuts, once, so that no step pays for masking moments it must leave alone.
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

/** Parameters whose moments sit in one pair of flat vectors, in this order. */
interface Group {
  names: string[];
  sizes: number[];
  m: tf.Variable;
  v: tf.Variable;
}

export class AdamW {
  step = 0;
  private groups: Group[];

  /** `decay(name)` says which parameters decay. */
  constructor(
    readonly cfg: OptimConfig,
    readonly params: Record<string, tf.Variable>,
    readonly decay: (name: string) => boolean = decaysByDefault,
  ) {
    const names = Object.keys(params);
    this.groups = [this.group(names, () => null)];
  }

  /** A group over `names` whose moments are `from(name)` (a tensor of its size) or zeros. */
  private group(names: string[], from: (name: string, which: 'm' | 'v') => tf.Tensor | null): Group {
    const sizes = names.map((n) => this.params[n]!.size);
    const flat = (which: 'm' | 'v') =>
      variableFrom(() => tf.concat(names.map((n, i) => from(n, which)?.reshape([-1]) ?? tf.zeros([sizes[i]!]))), false);
    return { names, sizes, m: flat('m'), v: flat('v') };
  }

  /** Splits every group that `present` cuts in two, moments kept. */
  private splitGroups(present: Set<string>): void {
    this.groups = this.groups.flatMap((g) => {
      const inside = g.names.filter((n) => present.has(n));
      if (inside.length === 0 || inside.length === g.names.length) return [g];
      const parts = { m: tf.split(g.m, g.sizes), v: tf.split(g.v, g.sizes) };
      const at = new Map(g.names.map((n, i) => [n, i]));
      const moments = (n: string, which: 'm' | 'v') => parts[which][at.get(n)!]!;
      const out = [inside, g.names.filter((n) => !present.has(n))].map((names) => this.group(names, moments));
      tf.dispose([g.m, g.v, ...parts.m, ...parts.v]);
      return out;
    });
  }

  /**
   * One update from gradients by name; returns the gradients' global norm before clipping.
   * A parameter without a gradient this step (a head the batch's task does not use) is left
   * alone, moments included, as PyTorch does with a None gradient.
   */
  apply(grads: Record<string, tf.Tensor | undefined>, lr: number): number {
    const present = new Set(Object.keys(this.params).filter((n) => grads[n] !== undefined));
    if (present.size === 0) return 0;
    this.splitGroups(present);
    const live = this.groups.filter((g) => present.has(g.names[0]!));
    const { beta1: b1, beta2: b2, eps, weightDecay, clipNorm } = this.cfg;
    return tf.tidy(() => {
      const flatGrads = live.map((g) => tf.concat(g.names.map((n) => grads[n]!.reshape([-1]))));
      const norm = Math.sqrt(tf.addN(flatGrads.map((g) => g.square().sum())).dataSync()[0]!);
      const scale = clipNorm > 0 && norm > clipNorm ? clipNorm / (norm + 1e-6) : 1;
      this.step++;
      const c1 = 1 - b1 ** this.step;
      const c2 = 1 - b2 ** this.step;
      live.forEach((grp, k) => {
        const g = scale === 1 ? flatGrads[k]! : flatGrads[k]!.mul(scale);
        const m = grp.m.mul(b1).add(g.mul(1 - b1));
        const v = grp.v.mul(b2).add(g.square().mul(1 - b2));
        grp.m.assign(m);
        grp.v.assign(v);
        // lr·m̂/(√v̂ + eps), split back to the parameters; decay is applied per parameter.
        const update = m.mul(lr / c1).div(v.div(c2).sqrt().add(eps));
        const pieces = tf.split(update, grp.sizes);
        grp.names.forEach((n, i) => {
          const p = this.params[n]!;
          const decayed = weightDecay > 0 && this.decay(n) ? p.mul(1 - lr * weightDecay) : p;
          p.assign(decayed.sub(pieces[i]!.reshape(p.shape)));
        });
      });
      return norm;
    });
  }

  /** State tensors by name, for checkpoints (copies: the caller disposes them). */
  state(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const which of ['m', 'v'] as const)
      for (const g of this.groups) {
        let at = 0;
        g.names.forEach((n, i) => {
          out[`${which}.${n}`] = tf.tidy(() => g[which].slice(at, g.sizes[i]!).reshape(this.params[n]!.shape));
          at += g.sizes[i]!;
        });
      }
    return out;
  }

  restore(state: Record<string, Float32Array>, step: number): void {
    for (const g of this.groups)
      for (const which of ['m', 'v'] as const) {
        const values = new Float32Array(g[which].size);
        let at = 0;
        g.names.forEach((n, i) => {
          const name = `${which}.${n}`;
          const part = state[name];
          if (!part || part.length !== g.sizes[i])
            throw new Error(`checkpoint lacks optimizer state ${name} of ${g.sizes[i]} values`);
          values.set(part, at);
          at += g.sizes[i]!;
        });
        assignValues(g[which], values);
      }
    this.step = step;
  }

  dispose(): void {
    tf.dispose(this.groups.flatMap((g) => [g.m, g.v]));
    this.groups = [];
  }
}
