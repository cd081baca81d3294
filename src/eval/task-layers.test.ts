import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { TINY_BERT } from '../../test/fixtures/kadapter/tiny-task.ts';
import { adapterForward, initAdapter, type AdapterConfig, type AdapterWeights } from '../kadapter/adapter.ts';
import { initBackend } from '../kadapter/backend.ts';
import { loadBaseModel, type BaseModel } from '../kadapter/base-model.ts';
import { encodeSequences } from '../kadapter/encoder.ts';
import { namedVariables, trainableCopy } from '../kadapter/encoder-weights.ts';
import { repoRoot } from '../util/paths.ts';
import type { ComponentVectors } from './components.ts';
import { liveSource, poolFeatures, pooledSource } from './pooled.ts';
import { trainTaskLayers, type Outputs, type TaskLayerSpec } from './task-layers.ts';
import { scoreTask } from './score.ts';
import type { TaskExample } from '../tasks/downstream/index.ts';
import { encodeTaskFile } from './downstream-data.ts';

let base: BaseModel;
let examples: TaskExample[];
let adapters: ComponentVectors[];
let adapterWeights: AdapterWeights;
let cfg: AdapterConfig;
const labels = ['no_relation', 'per:title', 'org:founded_by', 'per:employee_of', 'org:top_members/employees'];

beforeAll(async () => {
  await initBackend('cpu');
  base = loadBaseModel(TINY_BERT);
  examples = encodeTaskFile(
    'relation',
    path.join(repoRoot, 'test/fixtures/eval/tacred/train.json'),
    base.tokenizer,
    64,
    {},
  );
  cfg = {
    baseHidden: base.config.hidden,
    readLayers: [0, 1, 2],
    size: 16,
    layers: 1,
    chain: 'sum',
    initStd: 0.02,
    layerNormEps: 1e-12,
  };
  adapterWeights = initAdapter(cfg, 5);
  adapters = [
    { key: 'a', identity: 'a', forward: (states, mask) => adapterForward(adapterWeights, cfg, states, mask) },
  ];
});

const spec = (): TaskLayerSpec => ({
  task: 'relation',
  labels: [...new Set([...labels, ...examples.map((e) => e.gold[0]!)])],
  components: [{ key: 'a' }],
  combine: 'concat',
});
const layerCfg = { epochs: 3, patience: 3, batchSize: 8, lr: 1e-2, weightDecay: 0.01, seed: 4 };
const score = (o: Outputs) => scoreTask('relation', spec().labels, examples, o).microF1!;

it('pooled and live vectors of a frozen base train the same task layers', async () => {
  const pooled = pooledSource(examples, await poolFeatures(base, adapters, examples, 'pool'));
  const live = liveSource(base, adapters, examples);
  const a = await trainTaskLayers(spec(), layerCfg, pooled, pooled, pooled, (_, o) => score(o));
  const b = await trainTaskLayers(spec(), layerCfg, live, live, live, (_, o) => score(o));
  expect(b.devByEpoch).toEqual(a.devByEpoch);
  for (const [n, w] of Object.entries(a.weights)) {
    const d = w.data.reduce((m, x, i) => Math.max(m, Math.abs(x - b.weights[n]!.data[i]!)), 0);
    expect(d, n).toBeLessThan(1e-4);
  }
});

it('finetune trains the base through the frozen adapters and returns the best epoch’s base, leaving no tensor behind', async () => {
  const before0 = tf.memory().numTensors;
  const bytes0 = tf.memory().numBytes;
  const weights = trainableCopy(base.weights);
  const named = namedVariables(weights);
  const before = named['encoder.layer.0.attention.self.query.weight']!.dataSync().slice();
  const adapterBefore = adapterWeights.layers[0]!.down.w.dataSync().slice();
  const live = liveSource(base, adapters, examples, weights);
  const run = await trainTaskLayers(spec(), layerCfg, live, live, live, (_, o) => score(o), {
    params: named,
    lr: 1e-2,
  });
  const tuned = run.alsoWeights!['encoder.layer.0.attention.self.query.weight']!.data;
  expect(tuned.length).toBe(before.length);
  expect(tuned.reduce((m, x, i) => Math.max(m, Math.abs(x - before[i]!)), 0)).toBeGreaterThan(1e-4);
  // The adapters stay frozen.
  expect(adapterWeights.layers[0]!.down.w.dataSync()).toEqual(adapterBefore);
  tf.dispose(Object.values(named));
  expect(tf.memory().numTensors).toBe(before0);
  expect(tf.memory().numBytes).toBe(bytes0);
}, 120_000);

it('an adapter layer left out passes its residual input on', () => {
  const ids = examples.slice(0, 4).map((e) => e.ids);
  tf.tidy(() => {
    const { states, mask } = encodeSequences(base.weights, base.config, ids, base.tokenizer.padId);
    const w = adapterWeights;
    // Leaving out the last layer: the output is h[2] + the output of the first two layers.
    const two = adapterForward({ layers: w.layers.slice(0, 2) }, { ...cfg, readLayers: [0, 1] }, states, mask);
    const knocked = adapterForward(w, cfg, states, mask, [2]);
    expect(tf.max(tf.abs(knocked.sub(states[2]!.add(two)))).dataSync()[0]).toBeLessThan(1e-6);
    // Leaving out a layer changes the output; none left out is the plain forward pass.
    expect(tf.max(tf.abs(knocked.sub(adapterForward(w, cfg, states, mask)))).dataSync()[0]).toBeGreaterThan(1e-6);
  });
});
