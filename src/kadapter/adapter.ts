// The K-Adapter (SPEC §7): a side network of adapter layers that read the frozen base's hidden
// states at a few layers and chain into each other. One adapter layer:
//   r = h[layer_k] + prev                      (prev = the previous adapter layer's output, 0 first)
//   x = r                   (chain "sum", the official code)
//     | [h[layer_k] ; prev]  (chain "concat", the paper: down-projection from 2H)
//   out = r + up(enc(down(x)))                  enc = N post-LayerNorm transformer layers of width A
// Down/up weights start ~ N(0, 0.0002) with zero biases, so a fresh adapter is near the identity.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { EncoderLayerWeights, LayerNorm, Linear } from './encoder-weights.ts';
import { attentionBias, linear, pack, packingOf, transformerLayer, unpack } from './layers.ts';
import { variableFrom } from './variables.ts';

/** The K-Adapter's settings (adapter_config.json's `config`, less what the code fixes). */
export const AdapterConfig = z.strictObject({
  /** Hidden size H of the base the adapter reads. */
  baseHidden: z.number().int().min(1),
  /** Base layers read by the adapter layers, in order (0 = embeddings). */
  readLayers: z.array(z.number().int().min(0)).min(1),
  /** Adapter width A; heads = max(1, A / 64), FFN 4A. */
  size: z.number().int().min(1),
  /** Transformer layers inside each adapter layer (N). */
  layers: z.number().int().min(1),
  chain: z.enum(['sum', 'concat']),
  /** Std of the down/up projections' initial weights. */
  initStd: z.number().positive(),
  layerNormEps: z.number().positive(),
});
export type AdapterConfig = z.infer<typeof AdapterConfig>;

export interface AdapterLayerWeights {
  down: Linear; // [H or 2H, A]
  layers: EncoderLayerWeights[]; // width A
  up: Linear; // [A, H]
}

export interface AdapterWeights {
  layers: AdapterLayerWeights[];
}

/** The paper's read positions for a base of L layers: {0, ⌈L/2⌉ − 1, L − 1}, without repeats. */
export function defaultReadLayers(baseLayers: number): number[] {
  return [...new Set([0, Math.ceil(baseLayers / 2) - 1, baseLayers - 1])].sort((a, b) => a - b);
}

export function adapterHeads(size: number): number {
  return Math.max(1, Math.floor(size / 64));
}

/** Seeded initial values; every tensor gets its own seed derived from the adapter's. */
export class Initializer {
  private n = 0;
  constructor(private readonly seed: number) {}
  normal(shape: number[], std: number): tf.Variable {
    return variableFrom(() => tf.randomNormal(shape, 0, std, 'float32', this.seed * 7919 + this.n++));
  }
  zeros(shape: number[]): tf.Variable {
    return variableFrom(() => tf.zeros(shape));
  }
  ones(shape: number[]): tf.Variable {
    return variableFrom(() => tf.ones(shape));
  }
  linear(inDim: number, outDim: number, std: number): Linear {
    return {
      w: this.normal([inDim, outDim], std) as tf.Variable<tf.Rank.R2>,
      b: this.zeros([outDim]) as tf.Variable<tf.Rank.R1>,
    };
  }
  layerNorm(dim: number): LayerNorm {
    return { gamma: this.ones([dim]) as tf.Variable<tf.Rank.R1>, beta: this.zeros([dim]) as tf.Variable<tf.Rank.R1> };
  }
  /** A BERT-initialised transformer layer of width d (weights ~ N(0, 0.02)). */
  transformerLayer(d: number): EncoderLayerWeights {
    return {
      query: this.linear(d, d, 0.02),
      key: this.linear(d, d, 0.02),
      value: this.linear(d, d, 0.02),
      attnOut: this.linear(d, d, 0.02),
      attnNorm: this.layerNorm(d),
      ffnIn: this.linear(d, 4 * d, 0.02),
      ffnOut: this.linear(4 * d, d, 0.02),
      ffnNorm: this.layerNorm(d),
    };
  }
}

export function initAdapter(cfg: AdapterConfig, seed: number): AdapterWeights {
  const init = new Initializer(seed);
  const inDim = cfg.chain === 'concat' ? 2 * cfg.baseHidden : cfg.baseHidden;
  return {
    layers: cfg.readLayers.map(() => ({
      down: init.linear(inDim, cfg.size, cfg.initStd),
      layers: Array.from({ length: cfg.layers }, () => init.transformerLayer(cfg.size)),
      up: init.linear(cfg.size, cfg.baseHidden, cfg.initStd),
    })),
  };
}

/**
 * The adapter's output [B, T, H] from the base's hidden states. `states` is indexed by base layer
 * (sparse is fine: only readLayers are touched); mask [B, T] is 1 at tokens. `leaveOut` (an
 * ablation) lists adapter layers whose block is dropped: each outputs its residual input r alone.
 * `realTokensOnly` runs every position-wise layer on the real tokens alone (layers.ts Packing):
 * the same values at tokens (attention gives padding keys weight 0 either way), zeros at padding —
 * for a caller that reads tokens only, as the training loss does.
 */
export function adapterForward(
  w: AdapterWeights,
  cfg: AdapterConfig,
  states: (tf.Tensor3D | undefined)[],
  mask: tf.Tensor2D,
  leaveOut: readonly number[] = [],
  realTokensOnly = false,
): tf.Tensor3D {
  return tf.tidy(() => {
    const bias = attentionBias(mask);
    const heads = adapterHeads(cfg.size);
    const packing = realTokensOnly ? packingOf(mask) : undefined;
    let prev: tf.Tensor | null = null;
    cfg.readLayers.forEach((layer, k) => {
      const padded = states[layer];
      if (!padded) throw new Error(`adapter reads base layer ${layer}, which was not provided`);
      const h: tf.Tensor = packing ? pack(padded, packing) : padded;
      const lw = w.layers[k]!;
      const r = prev ? h.add(prev) : h;
      if (leaveOut.includes(k)) {
        prev = r;
        return;
      }
      const x = cfg.chain === 'concat' ? tf.concat([h, prev ?? tf.zerosLike(h)], -1) : r;
      let z = linear(x, lw.down) as tf.Tensor3D | tf.Tensor2D;
      for (const tl of lw.layers) z = transformerLayer(z, tl, heads, bias, cfg.layerNormEps, packing);
      prev = r.add(linear(z, lw.up));
    });
    return packing ? unpack(prev!, packing) : (prev! as tf.Tensor3D);
  });
}

export function adapterTensors(w: AdapterWeights): tf.Tensor[] {
  return Object.values(namedAdapterTensors(w));
}

/** Flat names for saving: layers.{k}.down.w, layers.{k}.layers.{i}.query.b, … */
export function namedAdapterTensors(w: AdapterWeights): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  w.layers.forEach((l, k) => {
    const p = `layers.${k}`;
    addLinear(out, `${p}.down`, l.down);
    addLinear(out, `${p}.up`, l.up);
    l.layers.forEach((t, i) => addTransformerLayer(out, `${p}.layers.${i}`, t));
  });
  return out;
}

export function addLinear(out: Record<string, tf.Tensor>, name: string, l: Linear): void {
  out[`${name}.w`] = l.w;
  out[`${name}.b`] = l.b;
}

export function addTransformerLayer(out: Record<string, tf.Tensor>, name: string, t: EncoderLayerWeights): void {
  for (const key of ['query', 'key', 'value', 'attnOut', 'ffnIn', 'ffnOut'] as const)
    addLinear(out, `${name}.${key}`, t[key]);
  for (const key of ['attnNorm', 'ffnNorm'] as const) {
    out[`${name}.${key}.gamma`] = t[key].gamma;
    out[`${name}.${key}.beta`] = t[key].beta;
  }
}
