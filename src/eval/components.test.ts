import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { TINY_BERT } from '../../test/fixtures/kadapter/tiny-task.ts';
import type { AdapterConfig } from '../kadapter/adapter.ts';
import { adapterForward, initAdapter } from '../kadapter/adapter.ts';
import { initBackend } from '../kadapter/backend.ts';
import { loadBaseModel, type BaseModel } from '../kadapter/base-model.ts';
import { encodeSequences } from '../kadapter/encoder.ts';
import { repoRoot } from '../util/paths.ts';
import { resolveComponents } from './components.ts';
import { poolFeatures, pooledSource } from './pooled.ts';
import { componentInput, scalarMix } from './rows.ts';
import { scoreTask } from './score.ts';
import { trainTaskLayers, type TaskLayerSpec } from './task-layers.ts';
import type { TaskExample } from '../tasks/downstream/index.ts';
import { encodeTaskFile } from './downstream-data.ts';

let base: BaseModel;
let examples: TaskExample[];
let cfg: AdapterConfig;

beforeAll(async () => {
  await initBackend('cpu');
  base = loadBaseModel(TINY_BERT);
  const file = path.join(repoRoot, 'test/fixtures/eval/tacred/train.json');
  examples = encodeTaskFile('relation', file, base.tokenizer, 64, {});
  cfg = {
    baseHidden: base.config.hidden,
    readLayers: [0, 1, 2],
    size: 16,
    layers: 1,
    chain: 'sum',
    initStd: 0.0002,
    layerNormEps: 1e-12,
  };
});

const statesOf = () =>
  encodeSequences(
    base.weights,
    base.config,
    examples.slice(0, 6).map((e) => e.ids),
    base.tokenizer.padId,
  );
const maxAbs = (t: tf.Tensor) => tf.max(tf.abs(t)).dataSync()[0]!;

it('a random adapter is, to within 1e-2, the sum of the base states it reads: the read-layers control', () => {
  tf.tidy(() => {
    const { states, mask } = statesOf();
    const [random, layers] = resolveComponents(
      [
        { kind: 'adapter', name: 'factual', weights: { random: 1001, method: 'k-adapter', config: cfg } },
        { kind: 'layers', layers: cfg.readLayers },
      ],
      base,
    );
    const a = random!.forward(states, mask);
    const l = layers!.forward(states, mask);
    expect(maxAbs(a.sub(l)) / maxAbs(l)).toBeLessThan(1e-2);
  });
});

it('an adapter’s delta is its output less the states it reads', () => {
  tf.tidy(() => {
    const { states, mask } = statesOf();
    const big = { ...cfg, initStd: 0.2 };
    const [delta] = resolveComponents(
      [{ kind: 'adapter', name: 'f', weights: { random: 7, method: 'k-adapter', config: big }, part: 'delta' }],
      base,
    );
    const out = adapterForward(initAdapter(big, 7), big, states, mask);
    const expected = out.sub(states[0]!).sub(states[1]!).sub(states[2]!);
    expect(maxAbs(delta!.forward(states, mask).sub(expected))).toBeLessThan(1e-5);
    expect(maxAbs(expected)).toBeGreaterThan(1e-2);
  });
});

it('a scalar mix trains its layer weights with the task layers, counted in the parameters', async () => {
  const mix = scalarMix(base.config.layers);
  const components = resolveComponents([mix], base);
  expect(components).toHaveLength(base.config.layers + 1);
  const src = pooledSource(examples, await poolFeatures(base, components, examples, 'mix'));
  const labels = [...new Set(examples.map((e) => e.gold[0]!))];
  const spec: TaskLayerSpec = { task: 'relation', labels, components: [componentInput(mix)], combine: 'sum' };
  const run = await trainTaskLayers(
    spec,
    { epochs: 3, patience: 3, batchSize: 8, lr: 1e-2, weightDecay: 0.01, seed: 1 },
    src,
    src,
    src,
    (_, o) => scoreTask('relation', labels, examples, o).microF1!,
  );
  const s = run.weights['mix.0.s']!.data;
  expect(s).toHaveLength(base.config.layers + 1);
  expect(Math.max(...s.map(Math.abs))).toBeGreaterThan(0);
  const H = base.config.hidden;
  expect(run.parameters).toBe(H * H + H + 2 * H * labels.length + labels.length + s.length + 1);
});

it('stops once dev has not improved for `patience` epochs, keeping the best epoch', async () => {
  const src = pooledSource(examples, await poolFeatures(base, [], examples, 'base'));
  const labels = [...new Set(examples.map((e) => e.gold[0]!))];
  const spec: TaskLayerSpec = { task: 'relation', labels, components: [], combine: 'none' };
  // A dev score that never improves after the first epoch.
  const run = await trainTaskLayers(
    spec,
    { epochs: 20, patience: 2, batchSize: 8, lr: 1e-2, weightDecay: 0.01, seed: 1 },
    src,
    src,
    src,
    () => 0.5,
  );
  expect(run.bestEpoch).toBe(0);
  expect(run.epochsRun).toBe(3);
  expect(run.devByEpoch).toHaveLength(3);
});
