// What each component of a row computes from the base's hidden states: an adapter's output
// (trained folder or random draw, perhaps with layers left out), or the base's own states at some
// layers, summed. Adapter folders are read once however many rows use them.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../config/schema.ts';
import type { Component } from '../data/composition.ts';
import { runsDir } from '../data/layout.ts';
import { drawAdapter, type Adapter } from '../methods/index.ts';
import { loadAdapterFiles, type LoadAdapterOptions, type LoadedAdapter } from '../methods/files.ts';
import type { BaseModel } from '../kadapter/base-model.ts';
import { UserError } from '../util/errors.ts';
import { sha256File } from '../util/jsonl.ts';
import { componentKey, vectorComponents, type TrainedAdapter } from './rows.ts';

/** The key of the base's last layer among a batch's vectors. */
export const BASE_KEY = 'base';

export interface ComponentVectors {
  key: string;
  /**
   * What the vectors depend on besides the base and the examples, by content: an adapter by its
   * weights file's sha256 (not its folder), a random draw by seed and shape. Keys the pooled cache.
   */
  identity: string;
  /** [B, T, H] from the base's hidden states (indexed by layer) and the mask [B, T]. */
  forward(states: (tf.Tensor3D | undefined)[], mask: tf.Tensor2D): tf.Tensor3D;
  /** Frees weights this component owns (a random draw's); folders' adapters are freed with their map. */
  dispose?(): void;
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
  opts: LoadAdapterOptions = {},
): ComponentVectors[] {
  const out = new Map<string, ComponentVectors>();
  for (const c of components.flatMap(vectorComponents)) {
    const key = componentKey(c);
    if (out.has(key)) continue;
    if (c.kind === 'layers') {
      const maxLayer = Math.max(...c.layers);
      if (maxLayer > base.config.layers)
        throw new Error(`component reads base layer ${maxLayer}; ${base.name} has ${base.config.layers}`);
      out.set(key, {
        key,
        identity: key,
        forward: (states) => c.layers.map((l) => stateAt(states, l)).reduce((acc, h) => acc.add(h)),
      });
      continue;
    }
    if (c.kind === 'scalarMix') throw new Error('a scalar mix is computed from its layers');
    let adapter: Adapter;
    let made: string;
    if ('dir' in c.weights) {
      const dir = c.weights.dir;
      let loaded = folders.get(dir);
      if (!loaded) folders.set(dir, (loaded = loadAdapterFiles(dir, base, opts)));
      adapter = loaded.adapter;
      // The settings too: the same weights read at other layers (an import with another adapter list) differ.
      made = `weights:${sha256File(path.join(dir, 'adapter.safetensors'))}:${JSON.stringify(adapter.config)}`;
    } else {
      adapter = drawAdapter(c.weights.method, c.weights.config, c.weights.random);
      made = `random:${c.weights.method}:${c.weights.random}:${JSON.stringify(adapter.config)}`;
    }
    const leaveOut = c.leaveOut ?? [];
    const a = adapter;
    const forward =
      c.part === 'delta'
        ? // What the blocks add: the output less the residual path (what an untrained draw is near).
          (states: (tf.Tensor3D | undefined)[], mask: tf.Tensor2D) =>
            tf.tidy(() => a.forward(states, mask, { leaveOut }).sub(a.residual(states)) as tf.Tensor3D)
        : (states: (tf.Tensor3D | undefined)[], mask: tf.Tensor2D) => a.forward(states, mask, { leaveOut });
    const identity = `adapter:${made}:leave-out:${(c.leaveOut ?? []).join(',')}:${c.part ?? 'output'}`;
    const owned = 'dir' in c.weights ? undefined : () => a.dispose();
    out.set(key, { key, identity, forward, ...(owned ? { dispose: owned } : {}) });
  }
  return [...out.values()];
}

/** The trained factual and linguistic adapters, one per pre-training seed, read once (into `folders`). */
export function trainedAdapters(
  config: Config,
  base: BaseModel,
  folders: Map<string, LoadedAdapter>,
): Record<'factual' | 'linguistic', TrainedAdapter[]> & { loaded: Record<string, LoadedAdapter['config']> } {
  const out = { factual: [] as TrainedAdapter[], linguistic: [] as TrainedAdapter[] };
  const loaded: Record<string, LoadedAdapter['config']> = {};
  for (const name of ['factual', 'linguistic'] as const) {
    for (const seed of config.adapters.seeds) {
      const dir = path.join(runsDir(config), name, `seed-${seed}`, 'adapter');
      if (!fs.existsSync(path.join(dir, 'adapter_config.json'))) {
        throw new UserError(
          `no trained ${name} adapter in ${dir}: run \`npm run pipeline:train -- --profile ${config.profile}\` first`,
        );
      }
      const a = loadAdapterFiles(dir, base);
      folders.set(dir, a);
      loaded[`${name}/seed-${seed}`] = a.config;
      out[name].push({
        name,
        dir,
        method: a.adapter.method,
        config: a.adapter.config as Record<string, unknown>,
        readLayers: a.adapter.readLayers,
      });
    }
  }
  return { ...out, loaded };
}
