import { OPTIM_DEFAULTS } from '../../config/schema.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RELATIONS, TINY_BERT, encodeAll } from '../../../test/fixtures/kadapter/tiny-task.ts';
import { initBackend } from '../../kadapter/backend.ts';
import { loadBaseModel } from '../../kadapter/base-model.ts';
import { encode } from '../../kadapter/encoder.ts';
import { padBatch } from '../../kadapter/tokenizer.ts';
import { knowledgeTask } from './index.ts';
import { multitaskPlan, saveMultitaskCheckpoint, trainMultitask, type MultitaskData } from './multitask.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-mt-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('cpu');
});

const data: MultitaskData = [
  {
    task: knowledgeTask('relation'),
    head: { kind: 'relation', hidden: 32, fuse: false, labels: RELATIONS },
    train: encodeAll('relation', 24),
    dev: encodeAll('relation', 6, 300),
  },
  {
    task: knowledgeTask('dependency'),
    head: { kind: 'dependency', hidden: 32, fuse: false, scoreDim: 16 },
    train: encodeAll('dependency', 40),
    dev: encodeAll('dependency', 6, 300),
  },
];
const PART = { relation: 0, dependency: 1 } as const;
const taskOf = (b: { part: number }) => data[b.part]!.task.name;

it('interleaves both tasks, as many steps as the two adapters take', () => {
  const plan = multitaskPlan(data, 1, 0, 8);
  expect(plan.filter((b) => taskOf(b) === 'relation')).toHaveLength(3);
  expect(plan.filter((b) => taskOf(b) === 'dependency')).toHaveLength(5);
  expect(plan.slice(0, 2).map(taskOf).sort()).toEqual(['dependency', 'relation']);
});

it("gives each task its adapter's epochs: a task with fewer sits out the last ones", () => {
  const uneven: MultitaskData = [
    { ...data[0]!, epochs: 1 },
    { ...data[1]!, epochs: 3 },
  ];
  const tasksIn = (epoch: number) => [...new Set(multitaskPlan(uneven, 1, epoch, 8).map(taskOf))].sort();
  expect([0, 1, 2].map(tasksIn)).toEqual([['dependency', 'relation'], ['dependency'], ['dependency']]);
  // Steps over the three epochs: one pass of the relations (3) and three of the dependencies (3 × 5).
  expect([0, 1, 2].reduce((n, e) => n + multitaskPlan(uneven, 1, e, 8).length, 0)).toBe(3 + 15);
});

it('draws each epoch every example once, from length buckets', () => {
  for (const epoch of [0, 1]) {
    const plan = multitaskPlan(data, 1, epoch, 8);
    for (const task of ['relation', 'dependency'] as const) {
      const seen = plan.filter((b) => taskOf(b) === task).flatMap((b) => b.indices);
      expect(seen.slice().sort((a, b) => a - b)).toEqual(data[PART[task]]!.train.map((_, i) => i));
    }
    // Within a batch the examples come in order of length (one bucket, sorted).
    for (const b of plan) {
      const lengths = b.indices.map((i) => data[b.part]!.train[i]!.ids.length);
      expect(lengths).toEqual(lengths.slice().sort((x, y) => x - y));
    }
  }
  expect(multitaskPlan(data, 1, 0, 8)).not.toEqual(multitaskPlan(data, 1, 1, 8));
});

it('trains the base itself on both tasks, the loss falls, and the saved checkpoint loads as a base', async () => {
  const base = loadBaseModel(TINY_BERT);
  const runDir = path.join(scratch, 'run');
  const config = {
    epochs: 6,
    batchSize: 8,
    optim: { lr: 2e-3, ...OPTIM_DEFAULTS },
    checkpointEverySteps: 8,
    logEverySteps: 4,
  };
  const { model, result } = await trainMultitask({
    base,
    data,
    config,
    seed: 1,
    runDir,
    label: 'mt',
    log: () => {},
  });
  expect(result.steps).toBe(48);
  const losses = fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.split === 'train')
    .map((r) => r.loss as number);
  expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
  const dir = path.join(scratch, 'checkpoint');
  saveMultitaskCheckpoint(dir, base, model, { seed: 1 });
  const reloaded = loadBaseModel(dir);
  expect(reloaded.name).toBe('bert-tiny+multitask');
  const { ids, mask, B, T } = padBatch(
    data[PART.dependency]!.dev.map((e) => e.ids),
    0,
  );
  const batch = { ids: tf.tensor2d(ids, [B, T], 'int32'), mask: tf.tensor2d(mask, [B, T], 'int32') };
  const last = (w: typeof base.weights) => encode(w, base.config, batch)[base.config.layers]!;
  expect(tf.max(tf.abs(last(reloaded.weights).sub(last(model.weights)))).dataSync()[0]).toBeLessThan(1e-6);
  // Training changed the base.
  expect(tf.max(tf.abs(last(base.weights).sub(last(model.weights)))).dataSync()[0]).toBeGreaterThan(1e-3);
}, 120_000);
