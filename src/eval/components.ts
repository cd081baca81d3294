// What each component of a row computes from the base's hidden states: an adapter's output
// (trained folder or random draw, perhaps with layers left out), or the base's own states at some
// layers, summed. Adapter folders are read once however many rows use them.
import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.ts';
import type { Component } from '../data/composition.ts';
import { runsDir } from '../data/layout.ts';
import { loadAdapterFiles, type LoadedAdapter } from '../kadapter/adapter-files.ts';
import { adapterForward, initAdapter } from '../kadapter/adapter.ts';
import type { BaseModel } from '../kadapter/base-model.ts';
import { UserError } from '../util/errors.ts';
import { componentKey, type TrainedAdapter } from './rows.ts';

/** The key of the base's last layer among a batch's vectors. */
export const BASE_KEY = 'base';

export interface ComponentVectors {
  key: string;
  /** [B, T, H] from the base's hidden states (indexed by layer) and the mask [B, T]. */
  forward(states: (tf.Tensor3D | undefined)[], mask: tf.Tensor2D): tf.Tensor3D;
}

const stateAt = (states: (tf.Tensor3D | undefined)[], layer: number): tf.Tensor3D => {
  const h = states[layer];
  if (!h) throw new Error(`base layer ${layer} was not computed`);
  return h;
};

/** The distinct components of the given ones, ready to compute; adapter folders loaded once each. */
export function resolveComponents(
  components: Component[],
  base: BaseModel,
  folders = new Map<string, LoadedAdapter>(),
): ComponentVectors[] {
  const out = new Map<string, ComponentVectors>();
  for (const c of components) {
    const key = componentKey(c);
    if (out.has(key)) continue;
    if (c.kind === 'layers') {
      const maxLayer = Math.max(...c.layers);
      if (maxLayer > base.config.layers)
        throw new Error(`component reads base layer ${maxLayer}; ${base.name} has ${base.config.layers}`);
      out.set(key, {
        key,
        forward: (states) => c.layers.map((l) => stateAt(states, l)).reduce((acc, h) => acc.add(h)),
      });
      continue;
    }
    let config;
    let weights;
    if ('dir' in c.weights) {
      const dir = c.weights.dir;
      if (!folders.has(dir)) folders.set(dir, loadAdapterFiles(dir, base));
      const loaded = folders.get(dir)!;
      config = loaded.config.adapter;
      weights = loaded.model.adapter;
    } else {
      config = c.weights.config;
      weights = initAdapter(config, c.weights.random);
    }
    const leaveOut = c.leaveOut ?? [];
    const [cfg, w] = [config, weights];
    out.set(key, { key, forward: (states, mask) => adapterForward(w, cfg, states, mask, leaveOut) });
  }
  return [...out.values()];
}

/** The trained factual and linguistic adapters of the first pre-training seed, read once (into `folders`). */
export function trainedAdapters(
  config: Config,
  base: BaseModel,
  folders: Map<string, LoadedAdapter>,
): Record<'factual' | 'linguistic', TrainedAdapter> & { loaded: Record<string, LoadedAdapter['config']> } {
  const seed0 = config.adapters.seeds[0]!;
  const out = {} as Record<'factual' | 'linguistic', TrainedAdapter>;
  const loaded: Record<string, LoadedAdapter['config']> = {};
  for (const name of ['factual', 'linguistic'] as const) {
    const dir = path.join(runsDir(config), name, `seed-${seed0}`, 'adapter');
    if (!fs.existsSync(path.join(dir, 'adapter_config.json'))) {
      throw new UserError(
        `no trained ${name} adapter in ${dir}: run \`npm run pipeline:train -- --profile ${config.profile}\` first`,
      );
    }
    const a = loadAdapterFiles(dir, base);
    folders.set(dir, a);
    loaded[name] = a.config;
    out[name] = { name, dir, config: a.config.adapter };
  }
  return { ...out, loaded };
}
