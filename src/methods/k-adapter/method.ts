// K-Adapter (Wang et al., Findings of ACL 2021) as a registered method: a side network of adapter
// layers over the frozen base's hidden states (the model code: src/kadapter/adapter.ts). Its
// settings are the profile's `adapters` section; its folder's `config` is the shape with what the
// code fixes (GELU, heads = max(1, A/64)) written out for other readers.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import {
  AdapterConfig,
  adapterForward,
  adapterHeads,
  defaultReadLayers,
  initAdapter,
  namedAdapterTensors,
} from '../../kadapter/adapter.ts';
import { UserError } from '../../util/errors.ts';
import type { AdaptationMethod, Adapter } from '../registry.ts';

export const K_ADAPTER = 'k-adapter';

/** The adapter's shape as adapter_config.json writes it: with what the code fixes, for other readers. */
export const AdapterFileShape = AdapterConfig.extend({
  architecture: z.literal(K_ADAPTER),
  /** Of the adapter's transformer layers: BERT's exact (erf) GELU. */
  activation: z.literal('gelu'),
  /** Attention heads of the adapter's transformer layers: max(1, size / 64). */
  heads: z.number().int().min(1),
});
export type AdapterFileShape = z.infer<typeof AdapterFileShape>;

/** The file's `config` read back as the model code's shape (a heads count the code would not use is refused). */
const fileSchema = AdapterFileShape.superRefine((c, ctx) => {
  if (c.heads !== adapterHeads(c.size))
    ctx.addIssue({
      code: 'custom',
      path: ['heads'],
      message: `${c.heads} attention heads; an adapter of size ${c.size} has ${adapterHeads(c.size)} here (max(1, size / 64))`,
    });
}).transform(({ architecture: _a, activation: _act, heads: _h, ...shape }): AdapterConfig => shape);

function create(cfg: AdapterConfig, seed: number): Adapter {
  const w = initAdapter(cfg, seed);
  const named = namedAdapterTensors(w) as Record<string, tf.Variable>;
  return {
    method: K_ADAPTER,
    config: cfg,
    readLayers: cfg.readLayers,
    variables: () => named,
    forward: (states, mask, opts = {}) =>
      adapterForward(w, cfg, states, mask, opts.leaveOut ?? [], opts.realTokensOnly ?? false),
    // A fresh K-Adapter is near the identity on its chain: the sum of the states it reads.
    residual: (states) =>
      tf.tidy(() =>
        cfg.readLayers
          .map((l) => {
            const h = states[l];
            if (!h) throw new Error(`base layer ${l} was not computed`);
            return h;
          })
          .reduce((acc: tf.Tensor3D, h) => acc.add(h)),
      ),
    dispose: () => tf.dispose(Object.values(named)),
  };
}

export const kAdapter: AdaptationMethod<AdapterConfig> = {
  name: K_ADAPTER,
  title: 'K-Adapter',
  description:
    'K-Adapter (Wang et al. 2021): transformer adapter layers beside the frozen base, reading its hidden states',
  placement: 'side',
  compositions: ['sum', 'concat'],
  configSchema: AdapterConfig,
  fileSchema,
  configFor(config, base) {
    const readLayers = config.adapters.readLayers ?? defaultReadLayers(base.layers);
    const bad = readLayers.filter((l) => l > base.layers);
    if (bad.length)
      throw new UserError(`adapters.readLayers ${JSON.stringify(bad)} exceed the base's ${base.layers} layers`);
    return {
      baseHidden: base.hidden,
      readLayers,
      size: config.adapters.size,
      layers: config.adapters.layers,
      chain: config.adapters.chain,
      initStd: config.adapters.initStd,
      layerNormEps: base.layerNormEps,
    };
  },
  readLayers: (cfg) => cfg.readLayers,
  create,
  fileConfig: (cfg) => ({ architecture: K_ADAPTER, ...cfg, activation: 'gelu', heads: adapterHeads(cfg.size) }),
  baseMismatch: (cfg, base) =>
    cfg.baseHidden !== base.hidden || Math.max(...cfg.readLayers) > base.layers
      ? `it reads hidden size ${cfg.baseHidden} at layers ${JSON.stringify(cfg.readLayers)}`
      : null,
};
