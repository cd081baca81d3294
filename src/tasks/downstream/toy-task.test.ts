// A downstream task is one module: this file defines a toy task — is a sentence short or long? —
// that reads the Brown sentences of the smoke build's dependency data, registers it, and runs it
// through evaluate's machinery for a set (src/eval/set-outcome.ts: its data, the frozen protocol's
// pooled vectors, the task layers of a base row and an adapter row, test scores, saved runs and
// predictions, F+L against the base) and the report, with no other file changed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TINY_BERT } from '../../../test/fixtures/kadapter/tiny-task.ts';
import { loadConfig } from '../../config/load.ts';
import { Config } from '../../config/schema.ts';
import type { Row } from '../../data/composition.ts';
import { dependencyDir, dependencySplitFiles, reportsDir } from '../../data/layout.ts';
import { DependencyExample, SPLITS, type Split } from '../../data/schemas.ts';
import { resolveComponents } from '../../eval/components.ts';
import { pretrainingSentences } from '../../eval/downstream-data.ts';
import type { SetContext } from '../../eval/evaluate-set.ts';
import { findLeaks } from '../../eval/leakage.ts';
import { writeReport, type Results } from '../../eval/report.ts';
import { evaluateOrReadBack } from '../../eval/set-outcome.ts';
import { downstreamSets } from '../../eval/sets.ts';
import { initBackend, type BackendChoice } from '../../kadapter/backend.ts';
import { loadBaseModel, type BaseModel } from '../../kadapter/base-model.ts';
import { readJsonl } from '../../util/jsonl.ts';
import { registerDownstreamTask, type DownstreamTask } from './index.ts';

/** The toy task: a sentence of at most 8 words is short, longer is long; pooled at the first word. */
const sentenceLength: DownstreamTask<string> = {
  name: 'sentence-length',
  title: 'Sentence length (toy)',
  sets: {
    kind: 'build',
    name: 'brown-lengths',
    provenance: 'brown-gold',
    dir: dependencyDir,
    note: '(Brown sentences, labelled by their length)',
    filesProblem: (config, where) =>
      SPLITS.some((s) => dependencySplitFiles(config, s).length === 0) ? `no dependency split files in ${where}` : null,
    async *read(config, split, e) {
      for (const f of dependencySplitFiles(config, split))
        for await (const r of readJsonl(f, DependencyExample)) {
          if (r.source !== 'brown') continue;
          yield {
            key: r.id,
            source: r.source,
            sentenceId: r.id,
            text: r.tokens.join(' '),
            encode: () => {
              const enc = e.tokenizer.encodeWords(r.tokens, e.maxLength);
              const at = enc.firstSubword[0] ?? -1;
              if (at < 0) return null;
              return { id: r.id, ids: enc.ids, positions: [at], gold: [r.tokens.length <= 8 ? 'short' : 'long'] };
            },
          };
        }
    },
  },
  mainMetric: 'accuracy',
  columns: [['accuracy', 'accuracy']],
  paper: null,
  dataEfficiencyCurve: false,
  positionsPerPrediction: 1,
  labels: (train) => train,
  splitProblem: () => null,
  targets: (examples, index) =>
    tf.oneHot(
      tf.tensor1d(
        examples.map((e) => index.get(e.gold[0]!) ?? 0),
        'int32',
      ),
      index.size,
    ),
  loss: (logits, targets) => tf.losses.softmaxCrossEntropy(targets, logits) as tf.Scalar,
  predict: (logits, _examples, labels) => logits.map((r) => labels[r.indexOf(Math.max(...r))]!),
  score: (_labels, gold, predicted) => ({
    accuracy: gold.filter((g, i) => g[0] === predicted[i]).length / Math.max(gold.length, 1),
  }),
  mainMetricCounts: (_labels, gold, predicted) => ({
    k: 2,
    counts: Float64Array.from(gold.flatMap((g, i) => [g[0] === predicted[i] ? 1 : 0, 1])),
    of: ([correct, all]) => correct! / Math.max(all!, 1),
  }),
  predictionLine: (example, predicted) => ({ gold: example.gold[0], predicted }),
  readPrediction: (line) => z.string().parse(line.predicted),
  leakageFiles: (config, split) =>
    split === 'train' ? null : { files: dependencySplitFiles(config, split), id: 'id', source: 'brown' },
};

const WORDS = 'the old river ran past a quiet town where people walked and talked of rain'.split(' ');

/** Brown-like sentences of 3 to 14 words, as the dependency data holds them. */
function sentences(split: Split, n: number): DependencyExample[] {
  return Array.from({ length: n }, (_, k) => {
    const tokens = Array.from({ length: 3 + ((k * 5) % 12) }, (_, i) => WORDS[(k + i * 3) % WORDS.length]!);
    return {
      id: `brown-${split}-${k}`,
      source: 'brown',
      text: tokens.join(' '),
      tokens,
      offsets: [],
      heads: tokens.map((_, i) => (i + 1 < tokens.length ? i + 2 : 0)),
      deprels: tokens.map(() => 'dep'),
      pos: tokens.map(() => 'NN'),
    };
  });
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-toy-task-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
let base: BaseModel;
let backend: BackendChoice;

beforeAll(async () => {
  backend = await initBackend('cpu');
  base = loadBaseModel(TINY_BERT);
});

it('registers a toy task and runs it through the smoke evaluation: task layers, scores, predictions, report', async () => {
  registerDownstreamTask(sentenceLength);
  const smoke = loadConfig({
    profile: 'smoke',
    env: { HOME: os.homedir(), KADAPTER_BUILD_DIR: path.join(scratch, 'build'), KADAPTER_REPORTS_DIR: scratch },
  });
  // The config takes the new task's name as it is.
  const config = Config.parse({
    ...smoke,
    eval: { ...smoke.eval, tasks: [sentenceLength.name], seeds: [1], epochs: 3, bootstrapSamples: 100 },
  });
  const dir = dependencyDir(config);
  fs.mkdirSync(dir, { recursive: true });
  for (const [split, n] of [
    ['train', 60],
    ['dev', 24],
    ['test', 24],
  ] as const)
    fs.writeFileSync(
      path.join(dir, `${split}-00000.jsonl`),
      sentences(split, n)
        .map((s) => `${JSON.stringify(s)}\n`)
        .join(''),
    );

  const [set, ...others] = config.eval.tasks.flatMap((task) => downstreamSets(config, task));
  expect(others).toEqual([]);
  expect(set).toMatchObject({ task: 'sentence-length', name: 'brown-lengths', key: 'sentence-length', first: true });

  // The base row, and F+L: the base with two K-Adapters (drawn, not trained: the task is under test here).
  const adapter = {
    baseHidden: 32,
    readLayers: [0, 1, 2],
    size: 16,
    layers: 1,
    chain: 'sum',
    initStd: 0.05,
    layerNormEps: 1e-12,
  };
  const rows: Row[] = [
    { id: 'base', label: 'base', base: 'base', components: [], combine: 'none' },
    {
      id: 'FL',
      label: 'K-Adapter F+L',
      base: 'base',
      components: ['factual', 'linguistic'].map((name, i) => ({
        kind: 'adapter',
        name,
        weights: { random: 1001 + i, method: 'k-adapter', config: adapter },
      })),
      combine: 'concat',
    },
  ];
  const out = reportsDir(config);
  const ctx: SetContext = {
    config,
    rows,
    components: {
      base: resolveComponents(
        rows.flatMap((r) => r.components),
        base,
      ),
      multitask: [],
    },
    models: { base, multitask: null },
    out,
    epochs: config.eval.epochs,
    seeds: config.eval.seeds,
    refresh: false,
    started: Date.now(),
  };
  const outcome = await evaluateOrReadBack(ctx, set!, await pretrainingSentences(config), null, backend);
  if (outcome.kind !== 'evaluated') throw new Error(`not evaluated: ${JSON.stringify(outcome)}`);
  const { result } = outcome;
  expect(result).toMatchObject({
    task: 'sentence-length',
    metric: 'accuracy',
    examples: { train: 60, dev: 24, test: 24 },
    source: expect.stringMatching(/\(Brown sentences, labelled by their length\)$/),
  });
  expect(result.rows.map((r) => r.key)).toEqual(['base', 'FL-concat']);
  for (const r of result.rows) {
    expect(r.perSeed).toHaveLength(1);
    expect(r.test.accuracy!.mean).toBeGreaterThanOrEqual(0);
    expect(r.test.accuracy!.mean).toBeLessThanOrEqual(1);
  }
  // F+L against the base, from the task's counts.
  expect(result.chosenCombine).toBe('concat');
  expect(Object.keys(result.bootstrap)).toEqual(['base']);

  // Its predictions file holds the task's own fields, a line per test example.
  for (const key of ['base', 'FL-concat']) {
    const lines = fs
      .readFileSync(path.join(out, 'runs', 'sentence-length', key, 'seed-1', 'predictions-test.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(24);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(['id', 'gold', 'predicted']);
      expect(['short', 'long']).toContain(l.predicted);
    }
  }

  // The leakage check reads its dev and test sentences.
  const leaks = await findLeaks(config);
  expect(Object.keys(leaks.rows)).toEqual(expect.arrayContaining(['sentence-length/dev', 'sentence-length/test']));

  const results: Results = {
    profile: config.profile,
    protocol: config.eval.protocol,
    base: { name: base.name },
    backend: 'cpu',
    adapters: {},
    seeds: config.eval.seeds,
    replicateSeeds: config.eval.replicateSeeds,
    tasks: { [set!.key]: result },
    notEvaluated: {},
    leakage: { leaks: leaks.leaks.length, lines: [] },
    startedAt: '',
    finishedAt: '',
    seconds: 0,
  };
  const plots = { rowChart: () => ({}) as never, curveChart: () => ({}) as never, renderPlot: async () => {} };
  await writeReport(out, results, plots);
  const report = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  expect(report).toContain('## Sentence length (toy): set `brown-lengths`');
  expect(report).toContain('| row | combine | runs | task-layer params | dev accuracy | accuracy |');
}, 300_000);
