import { OPTIM_DEFAULTS } from '../config/schema.ts';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELATIONS, TINY_BERT, encodeAll, tinyAdapterSettings } from '../../test/fixtures/kadapter/tiny-task.ts';
import { baseWithOtherWeights } from '../../test/fixtures/kadapter/tiny-adapter.ts';
import { repoRoot } from '../util/paths.ts';
import { loadAdapterFiles, loadedModel, readAdapterConfig, saveAdapterFiles } from './files.ts';
import { sha256File } from '../util/jsonl.ts';
import { liveBatch } from '../kadapter/adapter-outputs.ts';
import { initBackend } from '../kadapter/backend.ts';
import { loadBaseModel, saveEncoderCheckpoint, type BaseModel } from '../kadapter/base-model.ts';
import { buildFeatureCache, FeatureCache } from '../kadapter/features.ts';
import { knowledgeLogits, logitsOn, modelVariables, type AdapterRunSpec } from './knowledge-model.ts';
import { trainAdapter } from './train.ts';
import type { TrainConfig } from '../kadapter/training-loop.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-train-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
let base: BaseModel;
beforeAll(async () => {
  await initBackend('cpu');
  base = loadBaseModel(TINY_BERT);
});

const adapterCfg = tinyAdapterSettings;
const trainCfg: TrainConfig = {
  epochs: 4,
  batchSize: 8,
  optim: { lr: 3e-3, ...OPTIM_DEFAULTS },
  checkpointEverySteps: 4,
  logEverySteps: 2,
};
const LAYERS = [0, 1, 2];

async function caches(task: 'relation' | 'dependency', dtype: 'float16' | 'float32' = 'float32') {
  const out: FeatureCache[] = [];
  for (const [split, n, offset] of [
    ['train', 48, 0],
    ['dev', 12, 500],
  ] as const) {
    const dir = path.join(scratch, `${task}-${dtype}-${split}`);
    await buildFeatureCache({
      dir,
      model: base,
      examples: encodeAll(task, n, offset),
      spec: { layers: LAYERS, dtype, shardSize: 20 },
      key: `${task}-${split}`,
      backend: 'cpu',
      label: split,
    });
    out.push(new FeatureCache(dir));
  }
  return { train: out[0]!, dev: out[1]! };
}

const spec = (task: 'relation' | 'dependency'): AdapterRunSpec => ({
  adapter: adapterCfg(),
  head:
    task === 'relation'
      ? { kind: 'relation', hidden: 32, fuse: true, labels: RELATIONS }
      : { kind: 'dependency', hidden: 32, fuse: true, scoreDim: 16 },
  lastLayer: 2,
  seed: 3,
});

const losses = (runDir: string) =>
  fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { split: string; loss: number; step: number })
    .filter((r) => r.split === 'train');

describe('feature cache', () => {
  it('gives the hidden states the encoder computes (float32 exactly, float16 within half precision)', async () => {
    const f32 = (await caches('dependency', 'float32')).dev;
    const f16 = (await caches('dependency', 'float16')).dev;
    const shard32 = f32.loadShard(0);
    const idx = [0, 3, 5, 7];
    const cached32 = f32.batch(shard32, idx);
    const cached16 = f16.batch(f16.loadShard(0), idx);
    const live = liveBatch(base, cached32.examples);
    for (const layer of LAYERS) {
      const want = live.states[layer]!.mul(live.mask.expandDims(-1).toFloat());
      expect(tf.max(tf.abs(cached32.states[layer]!.sub(want))).dataSync()[0]).toBeLessThan(1e-6);
      const rel =
        tf.max(tf.abs(cached16.states[layer]!.sub(want))).dataSync()[0]! / tf.max(tf.abs(want)).dataSync()[0]!;
      expect(rel).toBeLessThan(2e-3);
    }
  });

  it('resumes a killed build at its first missing shard with identical bytes', async () => {
    const examples = encodeAll('dependency', 50);
    const a = path.join(scratch, 'resume-a');
    const b = path.join(scratch, 'resume-b');
    const spec = { layers: LAYERS, dtype: 'float16' as const, shardSize: 20 };
    await buildFeatureCache({ dir: a, model: base, examples, spec, key: 'k', backend: 'cpu', label: 'a' });
    await buildFeatureCache({ dir: b, model: base, examples, spec, key: 'k', backend: 'cpu', label: 'b' });
    fs.rmSync(path.join(b, 'shard-00001.jsonl'));
    fs.rmSync(path.join(b, 'manifest.json'));
    await buildFeatureCache({ dir: b, model: base, examples, spec, key: 'k', backend: 'cpu', label: 'b' });
    for (const f of ['shard-00000.bin', 'shard-00001.bin', 'shard-00002.bin', 'shard-00001.jsonl']) {
      expect(fs.readFileSync(path.join(b, f)).equals(fs.readFileSync(path.join(a, f)))).toBe(true);
    }
  });
});

describe('adapter training', () => {
  it.each(['dependency', 'relation'] as const)('lowers the %s loss and beats chance on dev', async (task) => {
    const c = await caches(task);
    const runDir = path.join(scratch, `run-${task}`);
    const config = {
      ...trainCfg,
      epochs: 20,
      logEverySteps: 6,
      checkpointEverySteps: 60,
      optim: { ...trainCfg.optim, lr: 1e-2 },
    };
    const { result } = await trainAdapter({
      spec: spec(task),
      config,
      train: c.train,
      dev: c.dev,
      runDir,
      label: task,
      log: () => {},
    });
    const l = losses(runDir);
    expect(l.length).toBeGreaterThan(4);
    const head = (l[0]!.loss + l[1]!.loss) / 2;
    const tail = (l[l.length - 1]!.loss + l[l.length - 2]!.loss) / 2;
    expect(tail).toBeLessThan(head * 0.5);
    const last = result.dev[result.dev.length - 1]!;
    if (task === 'dependency') {
      // Chance: a uniform pick among ROOT and the words.
      const dev = encodeAll('dependency', 12, 500).flatMap((e) =>
        e.task === 'dependency' ? e.heads.map(() => 1 / (e.firsts.length + 1)) : [],
      );
      const chance = dev.reduce((a, b) => a + b, 0) / dev.length;
      expect(last.uas!).toBeGreaterThan(1.5 * chance);
    } else expect(last.accuracy!).toBeGreaterThan(0.5);
  });

  // Epochs are 7 steps (shards of 20, 20 and 8 examples in batches of 8); checkpoints every 4 steps
  // and at each epoch's end. A stop after step 6 resumes from 4; after step 7, from the epoch end.
  it.each([
    [6, 4],
    [7, 7],
  ])(
    'resumes after a kill at step %i from its checkpoint (step %i) to the same weights and log as an uninterrupted run',
    async (stopAt, from) => {
      const c = await caches('dependency');
      const wholeDir = path.join(scratch, 'whole');
      const whole = await trainAdapter({
        spec: spec('dependency'),
        config: trainCfg,
        train: c.train,
        dev: c.dev,
        runDir: wholeDir,
        label: 'whole',
        log: () => {},
      });
      const killedDir = path.join(scratch, `killed-${stopAt}`);
      await trainAdapter({
        spec: spec('dependency'),
        config: trainCfg,
        train: c.train,
        dev: c.dev,
        runDir: killedDir,
        label: 'killed',
        log: () => {},
        stopAfterSteps: stopAt,
      });
      const resumed = await trainAdapter({
        spec: spec('dependency'),
        config: trainCfg,
        train: c.train,
        dev: c.dev,
        runDir: killedDir,
        label: 'resumed',
        log: () => {},
      });
      expect(resumed.result.resumedFromStep).toBe(from);
      const a = modelVariables(whole.model);
      const b = modelVariables(resumed.model);
      for (const n of Object.keys(a)) expect(Array.from(b[n]!.dataSync())).toEqual(Array.from(a[n]!.dataSync()));
      expect(fs.readFileSync(path.join(killedDir, 'metrics.jsonl'), 'utf8')).toBe(
        fs.readFileSync(path.join(wholeDir, 'metrics.jsonl'), 'utf8'),
      );
    },
  );

  it('refuses an empty split', async () => {
    const c = await caches('relation');
    const emptyDir = path.join(scratch, 'empty');
    await buildFeatureCache({
      dir: emptyDir,
      model: base,
      examples: [],
      spec: { layers: LAYERS, dtype: 'float32', shardSize: 20 },
      key: 'e',
      backend: 'cpu',
      label: 'e',
    });
    await expect(
      trainAdapter({
        spec: spec('relation'),
        config: trainCfg,
        train: new FeatureCache(emptyDir),
        dev: c.dev,
        runDir: path.join(scratch, 'x'),
        label: 'empty',
      }),
    ).rejects.toThrow(/training split is empty/);
  });
});

describe('adapter files', () => {
  it('load into a fresh process with the base alone and give identical outputs', async () => {
    const c = await caches('relation');
    const s = spec('relation');
    const { model } = await trainAdapter({
      spec: s,
      config: { ...trainCfg, epochs: 1 },
      train: c.train,
      dev: c.dev,
      runDir: path.join(scratch, 'files-run'),
      label: 'files',
      log: () => {},
    });
    const dir = path.join(scratch, 'adapter');
    const saved = saveAdapterFiles(dir, {
      name: 'factual',
      task: 'relation',
      adapter: model.adapter,
      head: model.head,
      base,
      lastLayer: 2,
    });
    expect(saved.parameters.base).toBe(base.parameters);
    expect(saved.parameters.adapter).toBeGreaterThan(0);
    const here = Array.from(
      logitsOn(base, loadedModel(loadAdapterFiles(dir, base)), encodeAll('relation', 6, 100)).dataSync(),
    );
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'test/fixtures/kadapter/adapter-outputs.ts'), dir],
      { encoding: 'utf8' },
    );
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual(here);
  });

  it('records the base it was trained on: name, revision, class and the sha256 of its weights', () => {
    const config = readAdapterConfig(path.join(scratch, 'adapter'));
    expect(config).toMatchObject({
      format: 'kadapter-adapter/2',
      model_name: 'bert-tiny',
      model_type: 'bert',
      model_class: 'BertModel',
      hidden_size: 32,
      model_layers: 2,
      model_revision: null,
      model_sha256: sha256File(path.join(TINY_BERT, 'model.safetensors')),
      config: { architecture: 'k-adapter', activation: 'gelu', heads: 1, size: 16 },
    });
    expect(config.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses a base of the same shape whose weights differ, unless allowed; accepts a base derived from its own', () => {
    const dir = path.join(scratch, 'adapter');
    // The same checkpoint with one weight changed: same name and shape, other weights.
    const otherBase = loadBaseModel(baseWithOtherWeights(TINY_BERT, path.join(scratch, 'bert-tiny-other')));
    expect(() => loadAdapterFiles(dir, otherBase)).toThrow(/has other weights .*--allow-other-base/);
    expect(loadAdapterFiles(dir, otherBase, { allowOtherBase: true }).adapter.config).toMatchObject({ size: 16 });
    // A folder this project trained from the adapter's base (multi-task, fine-tuned) says so.
    saveEncoderCheckpoint(path.join(scratch, 'derived'), base, otherBase.weights, 'multitask', {});
    const derived = loadBaseModel(path.join(scratch, 'derived'));
    expect(derived.derivedFrom).toEqual({
      name: 'bert-tiny',
      sha256: sha256File(path.join(TINY_BERT, 'model.safetensors')),
    });
    expect(loadAdapterFiles(dir, derived).adapter.config).toMatchObject({ size: 16 });
  });

  it('reads the first format (no provenance) by shape, as the current one', () => {
    const dir = path.join(scratch, 'adapter');
    const v1 = path.join(scratch, 'adapter-v1');
    fs.cpSync(dir, v1, { recursive: true });
    const c = readAdapterConfig(dir);
    const { architecture: _a, activation: _b, heads: _h, ...adapter } = c.config;
    const old = {
      format: 'kadapter-adapter/1',
      name: c.name,
      task: c.task,
      base: { name: c.model_name, modelType: c.model_type, hidden: c.hidden_size, layers: c.model_layers },
      adapter,
      lastLayer: c.lastLayer,
      parameters: c.parameters,
    };
    fs.writeFileSync(path.join(v1, 'adapter_config.json'), JSON.stringify(old));
    const loaded = loadAdapterFiles(v1, base);
    expect(loaded.config.model_sha256).toBeNull();
    expect(loaded.adapter.config).toEqual(adapter);
  });

  it('refuses a base whose hidden size differs from the one the adapter was trained on', () => {
    const dir = path.join(scratch, 'adapter');
    const other = loadBaseModel(path.join(repoRoot, 'test', 'fixtures', 'parity', 'roberta-tiny'));
    expect(() => loadAdapterFiles(dir, other)).toThrow(
      /trained on bert-tiny \(hidden 32, 2 layers\); the base model roberta-tiny has hidden 48 and 3 layers/,
    );
  });
});
