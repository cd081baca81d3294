// npm run bench:train — adapter-training throughput with the feature cache against recomputing the
// frozen base for every batch: the same examples, the same batches, the same adapter, in one run
// (each side in its own process, so its peak memory is its own). Prints the table and the ratio
// and writes reports/bench/train.json (`modes.cache`).
//   npm run bench:train -- [--profile default] [--steps 30] [--adapter linguistic|factual]
// With --vs-pytorch: kadapter's training step against PyTorch's, same model, batches and threads
// (scripts/bench/train-vs-pytorch.ts; `modes.vsPytorch`).
//   npm run bench:train -- --vs-pytorch [--profile default] [--data-profile smoke] [--steps 20]
//     [--warmup 2] [--tasks factual,linguistic,multitask] [--threads 2,1] [--python PY] [--ops]
//     [--size 128] [--layers 2] [--batch-size 32] [--read-layers 0,2,5] [--max-length 128]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../src/config/load.ts';
import { describeBackend, initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel } from '../src/kadapter/base-model.ts';
import { buildFeatureCache, FeatureCache } from '../src/kadapter/features.ts';
import { liveBatch } from '../src/kadapter/adapter-outputs.ts';
import { resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';
import { AdapterRunSpec, batchLoss, initKnowledgeModel, modelVariables } from '../src/methods/knowledge-model.ts';
import { knowledgeTaskData } from '../src/methods/pretrain.ts';
import { epochPlan, runTrainingLoop } from '../src/kadapter/training-loop.ts';
import { trainConfigFor } from '../src/kadapter/run-config.ts';
import { parseJsonText, readJsonFile } from '../src/util/json-file.ts';
import { formatTable } from '../src/util/table.ts';
import { UsageError } from '../src/util/errors.ts';
import { kadapterWorker, runVsPytorch, TASKS, writeModeResult } from './bench/train-vs-pytorch.ts';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'default' },
    steps: { type: 'string' },
    adapter: { type: 'string', default: 'linguistic' },
    worker: { type: 'string' },
    cache: { type: 'string' },
    'vs-pytorch': { type: 'boolean', default: false },
    'data-profile': { type: 'string' },
    warmup: { type: 'string', default: '2' },
    tasks: { type: 'string', default: TASKS.join(',') },
    threads: { type: 'string' },
    python: { type: 'string', default: 'python3' },
    ops: { type: 'boolean', default: false },
    size: { type: 'string' },
    layers: { type: 'string' },
    'batch-size': { type: 'string' },
    'read-layers': { type: 'string' },
    'max-length': { type: 'string' },
    side: { type: 'string' },
    spec: { type: 'string' },
  },
});
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
if (values.side === 'kadapter') {
  await kadapterWorker(values.spec!, Number(values.threads), values.ops!);
  process.exit(0);
}
if (values['vs-pytorch']) {
  const tasks = values.tasks!.split(',') as (typeof TASKS)[number][];
  const bad = tasks.filter((t) => !TASKS.includes(t));
  if (bad.length) throw new UsageError(`--tasks: unknown ${bad.join(', ')} (choose from ${TASKS.join(', ')})`);
  await runVsPytorch({
    profile: values.profile!,
    dataProfile: values['data-profile'] ?? values.profile!,
    steps: Number(values.steps ?? '20'),
    warmup: Number(values.warmup),
    tasks,
    // The native backend's intra-op pool defaults to the machine's cores; PyTorch's too.
    threads: values.threads ? values.threads.split(',').map(Number) : [...new Set([os.availableParallelism(), 1])],
    python: values.python!,
    ops: values.ops!,
    size: num(values.size),
    layers: num(values.layers),
    batchSize: num(values['batch-size']),
    readLayers: values['read-layers']?.split(',').map(Number),
    maxLength: num(values['max-length']),
  });
  process.exit(0);
}
const config = loadConfig({ profile: values.profile });
const steps = Number(values.steps ?? '30');
const name = values.adapter as 'linguistic' | 'factual';
const backend = await initBackend(config.backend);
const base = loadBaseModel(resolveBaseModelDir(config));
const trainCfg = { ...trainConfigFor(config), epochs: 1, logEverySteps: steps, checkpointEverySteps: steps * 1000 };
const bs = trainCfg.batchSize;

if (values.worker) {
  const cache = new FeatureCache(values.cache!);
  const spec = readJsonFile(path.join(values.cache!, 'bench-spec.json'), AdapterRunSpec);
  const model = initKnowledgeModel(spec);
  const plan = epochPlan(cache, 1, 0, bs).slice(0, steps);
  const shards = new Map<number, ReturnType<FeatureCache['loadShard']>>();
  const shardOf = (i: number) => (shards.has(i) ? shards.get(i)! : (shards.set(i, cache.loadShard(i)), shards.get(i)!));
  let peak = process.memoryUsage().rss;
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-bench-train-run-'));
  const result = await runTrainingLoop({
    label: `bench ${values.worker}`,
    runDir,
    config: trainCfg,
    params: modelVariables(model),
    configHash: values.worker,
    plan: () => plan,
    loss: (ref) => {
      const cached = cache.batch(shardOf(ref.shard), ref.indices);
      peak = Math.max(peak, process.memoryUsage().rss);
      if (values.worker === 'cached') return batchLoss(model, cached);
      // The same examples, their hidden states recomputed by the frozen base.
      const live = liveBatch(base, cached.examples);
      return batchLoss(model, live);
    },
    evaluate: () => ({ examples: 0, loss: 0 }),
    describe: () => '',
    log: () => {},
  });
  fs.rmSync(runDir, { recursive: true, force: true });
  process.stdout.write(
    `${JSON.stringify({ steps: result.steps, seconds: result.seconds, examplesPerSecond: (result.steps * bs) / result.seconds, peakRssMb: peak / 2 ** 20 })}\n`,
  );
  process.exit(0);
}

// The examples: the first steps × batch of the task's training split, cached once in a scratch folder.
const { data, layers, spec } = await knowledgeTaskData(
  { ...config, adapters: { ...config.adapters, maxTrain: steps * bs, maxDev: 1 } },
  base,
  name,
);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-bench-train-'));
await buildFeatureCache({
  dir: scratch,
  model: base,
  examples: data.splits.train,
  spec: { layers, dtype: config.adapters.featureDtype, shardSize: config.adapters.featureShardSize },
  key: 'bench',
  backend: backend.name,
  label: 'bench features',
});
const adapter = spec(1).adapter;
fs.writeFileSync(path.join(scratch, 'bench-spec.json'), JSON.stringify(spec(1)));

const WorkerResult = z.strictObject({
  steps: z.number(),
  seconds: z.number(),
  examplesPerSecond: z.number(),
  peakRssMb: z.number(),
});
const results: Record<string, z.infer<typeof WorkerResult>> = {};
for (const side of ['cached', 'recomputed']) {
  const out = execFileSync(
    process.execPath,
    [
      ...process.execArgv,
      process.argv[1]!,
      '--worker',
      side,
      '--cache',
      scratch,
      '--profile',
      values.profile!,
      '--steps',
      String(steps),
      '--adapter',
      name,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  results[side] = parseJsonText(
    out.toString().trim().split('\n').pop()!,
    WorkerResult,
    `bench:train: the ${side} worker's result`,
  );
}
const ratio = results.cached!.examplesPerSecond / results.recomputed!.examplesPerSecond;
const rows = Object.entries(results).map(([side, r]) => ({
  side: side === 'cached' ? 'feature cache' : 'base recomputed',
  steps: r.steps,
  'examples/s': r.examplesPerSecond.toFixed(1),
  'peak RSS MiB': Math.round(r.peakRssMb),
}));
process.stdout.write(
  `adapter training, ${name}, ${steps} steps × ${bs}, adapter ${JSON.stringify(adapter)}, ${describeBackend(backend).split(';')[0]}\n${formatTable(rows)}\ncache speed-up: ${ratio.toFixed(2)}×\n`,
);
writeModeResult('cache', {
  profile: values.profile,
  adapter: name,
  steps,
  batchSize: bs,
  adapterConfig: adapter,
  backend: backend.name,
  results,
  ratio,
});
fs.rmSync(scratch, { recursive: true, force: true });
