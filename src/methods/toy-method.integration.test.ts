// A way of adapting the base added as one module, with no other file changed: a toy method (a
// linear map of one base layer beside the frozen base, out = h_l + h_l W + b, W and b starting at
// zero), registered here and run through the train stage (both knowledge adapters) and the
// evaluate stage on the smoke build, with real CoreNLP and Neo4j data. Evaluation reaches it only
// through the registry: its folders, its random control and the read-layers control come from it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { beforeAll, expect, inject, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { reportsDir, runsDir } from '../data/layout.ts';
import { Results } from '../eval/results-schema.ts';
import { readJsonFile } from '../util/json-file.ts';
import { testServiceConfig } from '../../test/service-config.ts';
import { buildDependencyData } from '../../pipeline/dependency-data.ts';
import { buildFactsData } from '../../pipeline/facts-data.ts';
import { runEvaluateStage } from '../../pipeline/evaluate.ts';
import { runTrainStage } from '../../pipeline/train.ts';
import { registerMethod, type AdaptationMethod } from './index.ts';

const ToyConfig = z.strictObject({ hidden: z.number().int().min(1), layer: z.number().int().min(0) });
type ToyConfig = z.infer<typeof ToyConfig>;

const toy: AdaptationMethod<ToyConfig> = {
  name: 'toy-linear',
  title: 'toy linear',
  description: 'a linear map of one base layer, beside the base (a test of the method registry)',
  placement: 'side',
  compositions: ['sum', 'concat'],
  configSchema: ToyConfig,
  fileSchema: ToyConfig.extend({ architecture: z.literal('toy-linear') }).transform(({ architecture: _a, ...c }) => c),
  configFor: (_config, base) => ({ hidden: base.hidden, layer: Math.ceil(base.layers / 2) }),
  readLayers: (c) => [c.layer],
  create(c, seed) {
    const vars = {
      w: tf.variable(tf.randomNormal([c.hidden, c.hidden], 0, 1e-4, 'float32', seed)),
      b: tf.variable(tf.zeros([c.hidden])),
    };
    const at = (states: (tf.Tensor3D | undefined)[]) => {
      const h = states[c.layer];
      if (!h) throw new Error(`layer ${c.layer} was not computed`);
      return h;
    };
    return {
      method: 'toy-linear',
      config: c,
      readLayers: [c.layer],
      variables: () => vars,
      forward: (states) =>
        tf.tidy(() => {
          const h = at(states);
          const [B, T, H] = h.shape;
          return h.add(
            h
              .reshape([B * T, H])
              .matMul(vars.w)
              .add(vars.b)
              .reshape([B, T, H]),
          ) as tf.Tensor3D;
        }),
      residual: (states) => at(states).clone(),
      dispose: () => tf.dispose(Object.values(vars)),
    };
  },
  fileConfig: (c) => ({ architecture: 'toy-linear', ...c }),
  baseMismatch: (c, base) => (c.hidden !== base.hidden || c.layer > base.layers ? `reads hidden ${c.hidden}` : null),
};
registerMethod(toy);

let config: Config;
let results: Results;

beforeAll(async () => {
  const base = testServiceConfig('toy-method');
  const connection = inject('neo4j');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-toy-method-'));
  config = {
    ...base,
    paths: { ...base.paths, buildDir: path.join(scratch, 'build'), reportsDir: path.join(scratch, 'reports') },
    services: {
      ...base.services,
      corenlp: { ...base.services.corenlp, urls: [inject('corenlpUrl')] },
      neo4j: { ...base.services.neo4j, uri: connection.uri, user: connection.user, password: connection.password },
    },
    // One seed and one set keep it short; the stages are the ones `pipeline` runs.
    adapters: { ...base.adapters, method: 'toy-linear', seeds: [1] },
    eval: {
      ...base.eval,
      tasks: ['entity-typing'],
      sets: { ...base.eval.sets, 'entity-typing': [{ name: 'kg' }] },
      seeds: [1],
      randomDraws: 1,
      combines: ['sum'],
      perRelation: [],
    },
  };
  await buildDependencyData(config, { force: false, inputs: [] });
  await buildFactsData(config, { force: false });
  // One job a call: the train stage then runs it in this process, where the toy method is registered.
  await runTrainStage(config, { adapters: ['factual'], force: false });
  await runTrainStage(config, { adapters: ['linguistic'], force: false });
  await runEvaluateStage(config, { force: false });
  results = readJsonFile(path.join(reportsDir(config), 'results.json'), Results);
}, 1_200_000);

it('trains both knowledge adapters with the toy method and saves them as its folders', () => {
  for (const name of ['factual', 'linguistic']) {
    const dir = path.join(runsDir(config), name, 'seed-1', 'adapter');
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
    const H = saved.hidden_size as number;
    expect(saved.config).toEqual({ architecture: 'toy-linear', hidden: H, layer: expect.any(Number) });
    expect(saved.parameters.adapter).toBe(H * H + H);
    const summary = JSON.parse(fs.readFileSync(path.join(dir, '..', 'summary.json'), 'utf8'));
    expect(summary.dev.examples).toBeGreaterThan(0);
  }
});

it('evaluates the toy adapters downstream beside the base and their controls, through the registry', () => {
  const typing = Object.values(results.tasks).find((t) => t.task === 'entity-typing');
  expect(typing, JSON.stringify(results.notEvaluated)).toBeDefined();
  // The base, the scalar mix, the toy adapters alone and together, and the controls made from
  // them: their random draws and the layers they read.
  const rows = new Set(typing!.rows.map((r) => r.row));
  expect([...rows].sort()).toEqual(['F', 'FL', 'L', 'base', 'layers', 'mix', 'random']);
  expect(typing!.rows.find((r) => r.row === 'FL')!.label).toBe('toy linear F+L');
  for (const r of typing!.rows) expect(r.test[typing!.metric]!.mean).toBeGreaterThanOrEqual(0);
  expect(Object.keys(typing!.bootstrap).length).toBeGreaterThan(0);
});
