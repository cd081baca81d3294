// `kadapter build-data --profile smoke` as a user runs it: every part, real services, exit 0,
// complete manifests and valid examples on disk.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, inject, it } from 'vitest';
import { repoRoot } from '../src/util/paths.ts';
import { LOCK_FILE, processStartTime } from '../src/util/lock.ts';
import { DependencyExample, RelationExample } from '../src/data/schemas.ts';
import { testServiceEnv } from '../test/service-config.ts';

const buildRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-cli-build-'));
const reportsRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-cli-reports-'));
const kadapter = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [path.join(repoRoot, 'bin/kadapter.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', KADAPTER_BUILD_DIR: buildRoot, KADAPTER_REPORTS_DIR: reportsRoot, ...env },
  });

it('builds the smoke data end to end from the command line', () => {
  const neo4j = inject('neo4j');
  const run = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'bin/kadapter.js'), 'build-data', '--profile', 'smoke'],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        ...testServiceEnv('cli-build'),
        CI: 'true',
        KADAPTER_BUILD_DIR: buildRoot,
        CORENLP_URLS: inject('corenlpUrl'),
        NEO4J_URI: neo4j.uri,
        NEO4J_USER: neo4j.user,
        NEO4J_PASSWORD: neo4j.password,
      },
    },
  );
  expect(run.status, run.stderr).toBe(0);
  const dir = path.join(buildRoot, 'smoke');
  for (const half of ['dependency', 'facts', 'heldout']) {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, half, 'manifest.json'), 'utf8'));
    expect(manifest.complete).toBe(true);
    expect(manifest.profile).toBe('smoke');
  }
  const dependency = fs
    .readFileSync(path.join(dir, 'dependency', 'train-00000.jsonl'), 'utf8')
    .trim()
    .split('\n');
  expect(dependency.length).toBeGreaterThan(50);
  for (const line of dependency) DependencyExample.parse(JSON.parse(line));
  for (const split of ['train', 'dev', 'test']) {
    const text = fs.readFileSync(path.join(dir, 'facts', `${split}.jsonl`), 'utf8').trim();
    for (const line of text ? text.split('\n') : []) RelationExample.parse(JSON.parse(line));
  }
  expect(run.stderr).not.toContain(neo4j.password);
});

// Needs the build above: the smoke data it wrote is what the adapters train on.
it(
  'trains the smoke adapters and the multi-task baseline from the command line, and the losses fall',
  { timeout: 900_000 },
  () => {
    const fetch = kadapter(['model', 'fetch', '--profile', 'smoke']);
    expect(fetch.status, fetch.stderr).toBe(0);
    const run = kadapter(['train', '--profile', 'smoke']);
    expect(run.status, run.stderr).toBe(0);
    const runs = path.join(buildRoot, 'smoke', 'runs');
    // The first seed's losses fall (later seeds train the same way: their folders are checked below).
    for (const name of ['factual', 'linguistic', 'multitask']) {
      const dir = path.join(runs, name, 'seed-1');
      const rows = fs
        .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const train = rows.filter((r) => r.split === 'train') as { epoch: number; loss: number }[];
      expect(train.length, name).toBeGreaterThan(1);
      // The mean logged train loss of the last epoch is below the first epoch's. Single logged losses
      // are no measure here: multi-task steps alternate between the two tasks, and its batches come
      // from length buckets, so one step's loss depends on which task and which lengths it drew.
      const meanOf = (epoch: number) =>
        ((l) => l.reduce((a, b) => a + b, 0) / l.length)(train.filter((r) => r.epoch === epoch).map((r) => r.loss));
      const last = Math.max(...train.map((r) => r.epoch));
      expect(last, name).toBeGreaterThan(0);
      expect(meanOf(last), name).toBeLessThan(meanOf(0));
      const summary = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8'));
      expect(summary.dev.examples).toBeGreaterThan(0);
    }
    // Adapters train with every seed; the multi-task baseline with the first only.
    for (const seed of [2, 3]) {
      for (const name of ['factual', 'linguistic']) {
        const summary = JSON.parse(fs.readFileSync(path.join(runs, name, `seed-${seed}`, 'summary.json'), 'utf8'));
        expect(summary.dev.examples, `${name} seed ${seed}`).toBeGreaterThan(0);
      }
      expect(fs.existsSync(path.join(runs, 'multitask', `seed-${seed}`))).toBe(false);
    }
    for (const name of ['factual', 'linguistic']) {
      const files = fs.readdirSync(path.join(runs, name, 'seed-1', 'adapter')).sort();
      expect(files).toEqual(['adapter.safetensors', 'adapter_config.json', 'head.safetensors', 'head_config.json']);
    }
    expect(fs.existsSync(path.join(runs, 'multitask', 'seed-1', 'model', 'model.safetensors'))).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(runs, 'manifest.json'), 'utf8'));
    expect(manifest.backend).toMatch(/^(tensorflow|wasm|cpu)/);
    expect(manifest.runs).toHaveLength(7);
  },
);

// Needs the training above: the smoke adapters encode text through the CLI.
it('encodes text with the smoke adapters from the command line', { timeout: 300_000 }, () => {
  const runs = path.join(buildRoot, 'smoke', 'runs');
  const input = path.join(buildRoot, 'encode-input.txt');
  fs.writeFileSync(input, 'Marie Curie was born in Warsaw .\nParis is the capital of France .\n');
  const out = path.join(buildRoot, 'encoded.safetensors');
  const adapters = ['factual', 'linguistic'].map((n) => path.join(runs, n, 'seed-1', 'adapter'));
  const run = kadapter([
    'encode',
    '--profile',
    'smoke',
    '--adapters',
    ...adapters,
    '--combine',
    'concat',
    '--input',
    input,
    '--out',
    out,
    '--pool',
    'mean',
  ]);
  expect(run.status, run.stderr).toBe(0);
  const summary = JSON.parse(run.stdout);
  expect(summary).toMatchObject({ inputs: 2, components: ['factual', 'linguistic'], combine: 'concat' });
  // MiniLM's 384 for h_L and each adapter's output.
  expect(summary.width).toBe(3 * 384);
  const header = fs.readFileSync(out).subarray(8, 8 + Number(fs.readFileSync(out).readBigUInt64LE(0)));
  expect(JSON.parse(header.toString('utf8')).vectors.shape).toEqual([2, 3 * 384]);
});

// Needs both runs above: the smoke adapters and multi-task base are what evaluation compares.
it(
  'runs the smoke evaluation matrix from the command line and scores a trained row on a standard file',
  { timeout: 900_000 },
  async () => {
    const run = kadapter(['evaluate', '--profile', 'smoke']);
    expect(run.status, run.stderr).toBe(0);
    const reports = path.join(reportsRoot, 'smoke');
    const results = JSON.parse(fs.readFileSync(path.join(reports, 'results.json'), 'utf8'));
    for (const task of ['entity-typing', 'relation', 'pos']) {
      const rows = results.tasks[task].rows as {
        key: string;
        replicates: number;
        perSeed: { replicate?: number; seed: number }[];
        parameters: number;
      }[];
      expect(rows.map((r) => r.key)).toEqual([
        'base',
        'layers-concat',
        'layers-sum',
        'mix-concat',
        'mix-sum',
        'random-concat',
        'random-sum',
        'multitask',
        'multitask-layers-concat',
        'multitask-layers-sum',
        'F-concat',
        'F-sum',
        'L-concat',
        'L-sum',
        'FL-concat',
        'FL-sum',
      ]);
      // eval.replicateSeeds is `paired` on smoke: a row with three replicates (adapter seeds, random
      // draws) runs replicate r with task seed r; a row with one set of weights, every task seed.
      for (const r of rows) expect(r.perSeed, r.key).toHaveLength(3);
      for (const r of rows.filter((x) => x.replicates === 3))
        expect(
          r.perSeed.map((s) => [s.replicate, s.seed]),
          r.key,
        ).toEqual([
          [1, 1],
          [2, 2],
          [3, 3],
        ]);
      expect(rows.find((r) => r.key === 'FL-sum')!.replicates).toBe(3);
      expect(rows.find((r) => r.key === 'random-sum')!.replicates).toBe(3);
      // The read-layers control has the same task layers as the random adapters it stands for.
      const params = (key: string) => rows.find((r) => r.key === key)!.parameters;
      expect(params('layers-concat')).toBe(params('random-concat'));
      expect(params('layers-concat')).toBe(params('FL-concat'));
      // F+L is set against every reference by an interval.
      expect(Object.keys(results.tasks[task].bootstrap).length).toBeGreaterThanOrEqual(5);
      expect(fs.existsSync(path.join(reports, `${task}.png`))).toBe(true);
    }
    expect(results.tasks.relation.efficiency.length).toBeGreaterThan(0);
    // Every set of the profile is either evaluated under its key or reported with the reason it was not.
    expect(results.tasks.relation.set).toMatchObject({ name: 'tacred', provenance: 'user' });
    expect(results.tasks['entity-typing'].set).toMatchObject({ name: 'kg', provenance: 'kg-distant-supervision' });
    // The smoke build's NER set is evaluated like the others; its KBP dev split has no relation (a
    // few dozen held-out sentences), so that set is reported as not evaluated, with the reason.
    expect(results.tasks['entity-typing@ner'].set).toMatchObject({ name: 'ner', provenance: 'corenlp-ner' });
    expect(results.tasks['entity-typing@ner'].rows).toHaveLength(16);
    expect(results.notEvaluated['relation@kbp']?.reason).toMatch(/dev/);
    // A second evaluate, nothing changed: every evaluated set is read back, to the same results.
    const again = kadapter(['evaluate', '--profile', 'smoke']);
    expect(again.status, again.stderr).toBe(0);
    const readBack = again.stderr.split('\n').filter((l) => l.includes('its result is read back'));
    expect(readBack).toHaveLength(Object.keys(results.tasks).length);
    expect(again.stderr).not.toMatch(/test \S+ [\d.]+ ± [\d.]+ over \d+ runs/);
    const resumed = JSON.parse(fs.readFileSync(path.join(reports, 'results.json'), 'utf8'));
    expect(resumed.tasks).toEqual(results.tasks);
    expect(resumed.readBack).toEqual(Object.keys(results.tasks));

    // The evaluate helper (`pipeline` starts it beside evaluate once ablate is done) evaluates the
    // sets from the end of the list, keeping each result; one whose result is still kept it reads back.
    const posRuns = path.join(reports, 'runs', 'pos');
    fs.rmSync(path.join(posRuns, 'set-result.json'));
    const helper = kadapter(['evaluate-helper', '--profile', 'smoke']);
    expect(helper.status, helper.stderr).toBe(0);
    expect(helper.stderr).not.toMatch(/pos: unchanged since its last evaluation/);
    expect(helper.stderr.split('\n').filter((l) => l.includes('its result is read back'))).toHaveLength(
      Object.keys(results.tasks).length - 1,
    );
    expect(fs.existsSync(path.join(posRuns, 'set-result.json'))).toBe(true);
    // Evaluate with the POS set held by another live process: it does the other sets, waits for
    // that one, and reads back what the other kept meanwhile (listed as evaluated beside it).
    const holder = spawn('sleep', ['600']);
    try {
      await new Promise((r) => holder.once('spawn', r));
      const owner = {
        pid: holder.pid,
        startTime: processStartTime(holder.pid!),
        command: 'evaluate-helper',
        since: new Date().toISOString(),
      };
      fs.writeFileSync(path.join(posRuns, LOCK_FILE), `${JSON.stringify(owner)}\n`);
      const waiting = spawn(
        process.execPath,
        [path.join(repoRoot, 'bin/kadapter.js'), 'evaluate', '--profile', 'smoke'],
        {
          env: { ...process.env, CI: 'true', KADAPTER_BUILD_DIR: buildRoot, KADAPTER_REPORTS_DIR: reportsRoot },
        },
      );
      let stderr = '';
      waiting.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('pos: evaluated by the process beside; waiting for its result') && !holder.killed) {
          // As the helper does: the set's result is kept while evaluate runs, then the lock goes.
          const now = new Date();
          fs.utimesSync(path.join(posRuns, 'set-result.json'), now, now);
          holder.kill('SIGKILL');
        }
      });
      const code = await new Promise((r) => waiting.once('close', r));
      expect(code, stderr).toBe(0);
      const shared = JSON.parse(fs.readFileSync(path.join(reports, 'results.json'), 'utf8'));
      // The helper's POS result (its task-layer times its own), the other sets as before.
      const kept = JSON.parse(fs.readFileSync(path.join(posRuns, 'set-result.json'), 'utf8'));
      expect(shared.tasks).toEqual({ ...resumed.tasks, pos: kept.result });
      expect(shared.evaluatedBeside).toEqual(['pos']);
      expect(shared.readBack).toEqual(Object.keys(results.tasks).filter((k) => k !== 'pos'));
      expect(fs.existsSync(path.join(posRuns, LOCK_FILE))).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
    const report = fs.readFileSync(path.join(reports, 'report.md'), 'utf8');
    expect(report).toMatch(/paper’s direction/);
    expect(report).toMatch(/## Summary: F\+L against the controls, per set/);
    expect(report).toMatch(/## Relation classification: set `kbp`/);
    const rowRun = path.join(reports, 'runs', 'relation', 'FL-concat', 'r2-seed-2');
    const predictions = fs
      .readFileSync(path.join(rowRun, 'predictions-test.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(Object.keys(predictions[0]).sort()).toEqual(['gold', 'id', 'predicted']);
    const scored = kadapter([
      'evaluate',
      '--profile',
      'smoke',
      '--run',
      rowRun,
      '--task',
      'relation',
      '--test',
      path.join(repoRoot, 'test/fixtures/eval/tacred/test.json'),
    ]);
    expect(scored.status, scored.stderr).toBe(0);
    const out = JSON.parse(scored.stdout);
    // The same test file the matrix scored: the same micro-F1 as the row's own metrics.
    const own = JSON.parse(fs.readFileSync(path.join(rowRun, 'metrics.json'), 'utf8'));
    expect(out.metrics.microF1).toBeCloseTo(own.test.microF1, 6);
    const wrongTask = kadapter([
      'evaluate',
      '--profile',
      'smoke',
      '--run',
      rowRun,
      '--task',
      'entity-typing',
      '--test',
      path.join(repoRoot, 'test/fixtures/eval/openentity/test.json'),
    ]);
    expect(wrongTask.status).toBe(1);
    expect(wrongTask.stderr).toMatch(/was trained for relation, not entity-typing/);
  },
);

// Needs the training above: the ablations vary the trained smoke adapters.
it('runs the smoke ablations: every variant, task and seed, set against F+L', () => {
  const run = kadapter(['ablate', '--profile', 'smoke']);
  expect(run.status, run.stderr).toBe(0);
  const dir = path.join(reportsRoot, 'smoke', 'ablation');
  const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
  expect(results.readLayers).toHaveLength(3);
  for (const task of ['entity-typing', 'relation', 'pos']) {
    const rows = results.tasks[task].rows as { key: string; family: string; perSeed: unknown[] }[];
    // base, F+L ×2, F, L, F + random L, random F + L, random F + random L, layer access (read layers,
    // scalar mix, deltas alone), F+L without each of 3 layers
    expect(rows.map((r) => r.key)).toEqual([
      'base',
      'FL-concat',
      'FL-sum',
      'F-concat',
      'L-concat',
      'F-randL-concat',
      'randF-L-concat',
      'randF-randL-concat',
      'layers-concat',
      'mix-concat',
      'F-delta-concat',
      'L-delta-concat',
      'FL-delta-concat',
      'FL-without-0-concat',
      'FL-without-1-concat',
      'FL-without-2-concat',
    ]);
    for (const r of rows) expect(r.perSeed).toHaveLength(3);
    expect(fs.existsSync(path.join(dir, `${task}.png`))).toBe(true);
  }
  expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toMatch(
    /\| which adapter layers \| F\+L without adapter layer 1 \(reads base layer 0\) \| concat \|/,
  );
  // A run with adapter layers left out scores again from its saved files, the left-out layers included.
  const rowRun = path.join(dir, 'runs', 'relation', 'FL-without-2-concat', 'seed-2');
  const scored = kadapter([
    'evaluate',
    '--profile',
    'smoke',
    '--run',
    rowRun,
    '--task',
    'relation',
    '--test',
    path.join(repoRoot, 'test/fixtures/eval/tacred/test.json'),
  ]);
  expect(scored.status, scored.stderr).toBe(0);
  const own = JSON.parse(fs.readFileSync(path.join(rowRun, 'metrics.json'), 'utf8'));
  expect(JSON.parse(scored.stdout).metrics.microF1).toBeCloseTo(own.test.microF1, 6);
}, 600_000);

// Needs the training above: under finetune the base trains with the task layers, adapters frozen.
it('runs the smoke matrix under the finetune protocol, and a tuned row scores again from its saved base', () => {
  const run = kadapter(['evaluate', '--profile', 'smoke', '--protocol', 'finetune']);
  expect(run.status, run.stderr).toBe(0);
  const reports = path.join(reportsRoot, 'smoke', 'finetune');
  const results = JSON.parse(fs.readFileSync(path.join(reports, 'results.json'), 'utf8'));
  expect(results.protocol).toBe('finetune');
  for (const task of ['entity-typing', 'relation', 'pos']) expect(results.tasks[task].rows).toHaveLength(16);
  expect(fs.readFileSync(path.join(reports, 'report.md'), 'utf8')).toMatch(/Protocol: \*\*finetune\*\*/);
  // The frozen report beside it is untouched.
  expect(JSON.parse(fs.readFileSync(path.join(reportsRoot, 'smoke', 'results.json'), 'utf8')).protocol).toBe('frozen');
  const rowRun = path.join(reports, 'runs', 'relation', 'FL-sum', 'r1-seed-1');
  // Run files hold no machine paths: the tuned base and the adapters are relative to the run.
  const saved = JSON.parse(fs.readFileSync(path.join(rowRun, 'task-layers', 'task_layers_config.json'), 'utf8'));
  expect(saved.base.dir).toBe('base');
  expect(JSON.stringify(saved)).not.toMatch(/"\//);
  const scored = kadapter([
    'evaluate',
    '--profile',
    'smoke',
    '--run',
    rowRun,
    '--task',
    'relation',
    '--test',
    path.join(repoRoot, 'test/fixtures/eval/tacred/test.json'),
  ]);
  expect(scored.status, scored.stderr).toBe(0);
  const own = JSON.parse(fs.readFileSync(path.join(rowRun, 'metrics.json'), 'utf8'));
  expect(JSON.parse(scored.stdout).metrics.microF1).toBeCloseTo(own.test.microF1, 6);
  // Rows outside eval.finetune.keepBases keep no tuned base, and scoring them says so.
  const unkept = path.join(reports, 'runs', 'relation', 'base', 'seed-1');
  expect(fs.existsSync(path.join(unkept, 'base'))).toBe(false);
  const refused = kadapter([
    'evaluate',
    '--profile',
    'smoke',
    '--run',
    unkept,
    '--task',
    'relation',
    '--test',
    path.join(repoRoot, 'test/fixtures/eval/tacred/test.json'),
  ]);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toMatch(/tuned base was not kept/);
}, 1_500_000);
