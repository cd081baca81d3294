// `npm run bench:train -- --vs-pytorch`: kadapter's training step against PyTorch on this CPU, with
// the same threads. Both sides train the same model from the same initial weights (a safetensors
// file) on the same batches — the adapter tasks from one float16 feature cache that both read, the
// multi-task step from the same token ids — with the same loss, AdamW, clipping and schedule; the
// losses they print step by step show it. Each side, thread count and task runs in its own process,
// so its peak memory (the kernel's high-water mark) is its own. `--ops` adds where a kadapter
// step's time goes: per phase, in native ops, copies and tfjs's own JavaScript, over the timed steps.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { dependencySplitFiles } from '../../src/data/layout.ts';
import { DependencyExample, type EncodedExample, type EncodedRelation } from '../../src/data/schemas.ts';
import { initAdapter, type AdapterConfig } from '../../src/kadapter/adapter.ts';
import { describeBackend, initBackend } from '../../src/kadapter/backend.ts';
import { loadBaseModel, type BaseModel } from '../../src/kadapter/base-model.ts';
import { encodeRelation } from '../../src/kadapter/examples.ts';
import { buildFeatureCache, FeatureCache } from '../../src/kadapter/features.ts';
import { AdapterRunSpec, batchLoss, initKnowledgeModel, modelVariables } from '../../src/methods/knowledge-model.ts';
import { knowledgeTaskData } from '../../src/methods/pretrain.ts';
import { knowledgeTask } from '../../src/tasks/knowledge/index.ts';
import { resolveBaseModelDir } from '../../src/kadapter/model-fetch.ts';
import {
  initMultitask,
  multitaskLoss,
  multitaskPlan,
  type MultitaskData,
} from '../../src/tasks/knowledge/multitask.ts';
import { AdamW, scheduledLr, type OptimConfig } from '../../src/kadapter/optim.ts';
import { mulberry32 } from '../../src/kadapter/rng.ts';
import { adapterConfigFor, trainConfigFor } from '../../src/kadapter/run-config.ts';
import { writeSafetensors } from '../../src/kadapter/safetensors.ts';
import { epochPlan, trainStep } from '../../src/kadapter/training-loop.ts';
import { parseJsonText, readJsonFile, readJsonFileIfExists } from '../../src/util/json-file.ts';
import { readJsonLines } from '../../src/util/jsonl.ts';
import { repoRoot } from '../../src/util/paths.ts';
import { formatTable, type Row } from '../../src/util/table.ts';

export const TASKS = ['factual', 'linguistic', 'multitask'] as const;
type Task = (typeof TASKS)[number];

export interface VsPytorchOptions {
  profile: string;
  /** Where the examples come from (its build folder); the adapter shape is `profile`'s. */
  dataProfile: string;
  steps: number;
  warmup: number;
  tasks: Task[];
  threads: number[];
  python: string;
  ops: boolean;
  size?: number;
  layers?: number;
  batchSize?: number;
  readLayers?: number[];
  maxLength?: number;
}

/** What both sides read: written by the orchestrator beside the cache. */
const Spec = z.strictObject({
  kind: z.enum(['adapter', 'multitask']),
  task: z.enum(['relation', 'dependency', 'multitask']),
  adapter: z.looseObject({}).optional(),
  head: z.looseObject({}).optional(),
  lastLayer: z.number(),
  scoreDim: z.number(),
  labels: z.array(z.string()),
  optim: z.looseObject({}),
  warmup: z.number(),
  cache: z.strictObject({ dir: z.string(), layers: z.array(z.number()), hidden: z.number() }).optional(),
  plan: z.array(z.strictObject({ shard: z.number(), indices: z.array(z.number()) })).optional(),
  batches: z
    .array(z.strictObject({ task: z.enum(['relation', 'dependency']), examples: z.array(z.looseObject({})) }))
    .optional(),
  init: z.string(),
  baseModel: z.string(),
  padId: z.number(),
  profile: z.string(),
  dataProfile: z.string(),
});
type Spec = z.infer<typeof Spec>;

const KadapterResult = z.strictObject({
  backend: z.string(),
  threads: z.number(),
  steps: z.number(),
  examples: z.number(),
  seconds: z.number(),
  examplesPerSecond: z.number(),
  coresBusy: z.number(),
  losses: z.array(z.number()),
  gradNorms: z.array(z.number()),
  peakRssMb: z.number(),
  ops: z.unknown().optional(),
});
type KadapterResult = z.infer<typeof KadapterResult>;
const TorchRun = z.looseObject({
  threads: z.number(),
  steps: z.number(),
  examples: z.number(),
  seconds: z.number(),
  examples_per_s: z.number(),
  cores_busy: z.number(),
  losses: z.array(z.number()),
  grad_norms: z.array(z.number()),
});
const TorchResult = z.looseObject({ torch: z.string(), runs: z.array(TorchRun), peak_rss_mb: z.number() });

/** The kernel's high-water mark of this process's resident memory (what ru_maxrss is in Python). */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.memoryUsage().rss / 2 ** 20;
}

function configFor(
  o: Pick<VsPytorchOptions, 'profile' | 'dataProfile' | 'size' | 'layers' | 'batchSize' | 'readLayers' | 'maxLength'>,
): Config {
  const config = loadConfig({ profile: o.profile });
  const data = loadConfig({ profile: o.dataProfile });
  return {
    ...config,
    paths: { ...config.paths, buildDir: data.paths.buildDir },
    model: { ...config.model, maxLength: o.maxLength ?? config.model.maxLength },
    adapters: {
      ...config.adapters,
      size: o.size ?? config.adapters.size,
      layers: o.layers ?? config.adapters.layers,
      batchSize: o.batchSize ?? config.adapters.batchSize,
      readLayers: o.readLayers ?? config.adapters.readLayers,
    },
  };
}

/** The multi-task run's parts as the bench's two sides share them: relations, then dependency heads. */
const PART = { relation: 0, dependency: 1 } as const;
function multitaskParts(
  hidden: number,
  labels: string[],
  scoreDim: number,
  relations: EncodedExample[],
  dependencies: EncodedExample[],
): MultitaskData {
  return [
    {
      task: knowledgeTask('relation'),
      head: { kind: 'relation', hidden, fuse: false, labels },
      train: relations,
      dev: [],
    },
    {
      task: knowledgeTask('dependency'),
      head: { kind: 'dependency', hidden, fuse: false, scoreDim },
      train: dependencies,
      dev: [],
    },
  ];
}

// ---- one side: kadapter, in a worker process

export async function kadapterWorker(specFile: string, threads: number, ops: boolean): Promise<void> {
  const spec = readJsonFile(specFile, Spec);
  const config = configFor({ profile: spec.profile, dataProfile: spec.dataProfile });
  const backend = await initBackend(config.backend);
  const optim = spec.optim as OptimConfig;
  let params: Record<string, tf.Variable>;
  let steps: { examples: number; loss: () => tf.Scalar; batch?: () => void }[];
  if (spec.kind === 'adapter') {
    const runSpec = AdapterRunSpec.parse({
      adapter: spec.adapter,
      head: spec.head,
      lastLayer: spec.lastLayer,
      seed: 1,
    });
    const model = initKnowledgeModel(runSpec);
    params = modelVariables(model);
    const cache = new FeatureCache(spec.cache!.dir);
    const shards = new Map<number, ReturnType<FeatureCache['loadShard']>>();
    const shardOf = (i: number) => {
      if (!shards.has(i)) shards.set(i, cache.loadShard(i));
      return shards.get(i)!;
    };
    // Every shard is read before the clock starts, as the Python side's first touch of a shard is
    // an mmap: the timed steps are batch assembly and training, not file reads.
    for (const ref of spec.plan!) shardOf(ref.shard);
    steps = spec.plan!.map((ref) => ({
      examples: ref.indices.length,
      loss: () => batchLoss(model, cache.batch(shardOf(ref.shard), ref.indices)),
      batch: () => {
        const b = cache.batch(shardOf(ref.shard), ref.indices);
        tf.dispose([...b.states.filter((t) => t), b.mask]);
      },
    }));
  } else {
    const base = loadBaseModel(spec.baseModel);
    const parts = multitaskParts(base.config.hidden, spec.labels, spec.scoreDim, [], []);
    const mt = initMultitask(base, parts, 1);
    params = mt.params;
    steps = spec.batches!.map((b) => ({
      examples: b.examples.length,
      loss: () => multitaskLoss(mt.model, base, parts, PART[b.task], b.examples as unknown as EncodedExample[]),
    }));
  }
  const opt = new AdamW(optim, params);
  const losses: number[] = [];
  const gradNorms: number[] = [];
  let seconds = 0;
  let cpu = 0;
  let examples = 0;
  for (let s = 0; s < steps.length; s++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = trainStep(opt, params, steps[s]!.loss, scheduledLr(optim, s, steps.length));
    const c1 = process.cpuUsage(c0);
    losses.push(r.loss);
    gradNorms.push(r.gradNorm);
    if (s >= spec.warmup) {
      seconds += (performance.now() - t0) / 1000;
      cpu += (c1.user + c1.system) / 1e6;
      examples += steps[s]!.examples;
    }
  }
  const result: KadapterResult = {
    backend: describeBackend(backend).split(';')[0]!,
    threads,
    steps: steps.length - spec.warmup,
    examples,
    seconds,
    examplesPerSecond: examples / seconds,
    coresBusy: cpu / seconds,
    losses,
    gradNorms,
    peakRssMb: peakRssMb(),
    ops: ops ? await profileStep(opt, params, steps.slice(spec.warmup), optim) : undefined,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

type Binding = Record<string, (...args: unknown[]) => unknown>;

/**
 * Where a step's time goes, over the given steps run again: wall time per phase (the native
 * backend runs each op synchronously, so a phase's wall time is its own), and inside it the time
 * spent in the native binding — each TensorFlow op by name and output shape, copies of tensors
 * into and out of it, deletes — timed at the binding's entry points. tf.profile would nest
 * kernels (tfjs-node's _FusedMatMul runs BatchMatMul and Add as kernels of their own) and the
 * debug mode's per-kernel timing downloads every output; neither is a step's real cost.
 */
async function profileStep(
  opt: AdamW,
  params: Record<string, tf.Variable>,
  steps: { loss: () => tf.Scalar; batch?: () => void }[],
  optim: OptimConfig,
) {
  // The addon's exports are frozen: the backend gets a stand-in whose timed entry points call them.
  const backend = tf.backend() as unknown as { binding: Binding };
  const binding = backend.binding;
  const timed = Object.create(binding) as Binding;
  const PHASES = ['forward', 'backward', 'optimizer', 'loss read, dispose'] as const;
  let phase: string = PHASES[0];
  const wall = new Map<string, number>(PHASES.map((p) => [p, 0]));
  const native = new Map<string, { phase: string; what: string; calls: number; ms: number }>();
  const wrap = (fn: string, what: (args: unknown[], out: unknown) => string) => {
    const orig = binding[fn]!;
    const f = (...args: unknown[]) => {
      const t0 = performance.now();
      const out = orig.apply(binding, args);
      const ms = performance.now() - t0;
      const w = what(args, out);
      const key = `${phase}\t${w}`;
      const e = native.get(key) ?? { phase, what: w, calls: 0, ms: 0 };
      e.calls++;
      e.ms += ms;
      native.set(key, e);
      return out;
    };
    Object.defineProperty(timed, fn, { value: f });
  };
  const shape = (s: unknown) => `[${(s as number[]).join(',')}]`;
  wrap('executeOp', (args, out) => `${args[0] as string} → ${shape((out as { shape: number[] }[])[0]?.shape ?? [])}`);
  wrap('createTensor', (args) => `copy into the backend ${shape(args[0])}`);
  wrap('tensorDataSync', () => 'copy out of the backend');
  wrap('deleteTensor', () => 'deleteTensor');
  const vars = Object.values(params);
  let batchMs = 0;
  backend.binding = timed;
  try {
    for (const s of steps) {
      if (s.batch) {
        // Assembly alone (float16 → float32 in JS, tensors made): the copy into the backend
        // happens lazily, at the first op that reads them, and is counted there.
        const t = performance.now();
        s.batch();
        batchMs += performance.now() - t;
      }
      const t: number[] = [performance.now()];
      phase = 'forward';
      const { value, grads } = tf.variableGrads(() => {
        const l = s.loss();
        t.push(performance.now());
        phase = 'backward';
        return l;
      }, vars);
      t.push(performance.now());
      phase = 'optimizer';
      const named: Record<string, tf.Tensor | undefined> = {};
      for (const [n, p] of Object.entries(params)) named[n] = grads[p.name];
      opt.apply(named, scheduledLr(optim, 0, 100));
      t.push(performance.now());
      phase = 'loss read, dispose';
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
      t.push(performance.now());
      PHASES.forEach((p, i) => wall.set(p, wall.get(p)! + t[i + 1]! - t[i]!));
    }
  } finally {
    backend.binding = binding;
  }
  const n = steps.length;
  const inPhase = (p: string) => [...native.values()].filter((e) => e.phase === p);
  const sum = (es: { ms: number }[]) => es.reduce((a, e) => a + e.ms, 0);
  const phases = PHASES.map((p) => {
    const es = inPhase(p);
    const ops = es.filter((e) => !e.what.startsWith('copy') && e.what !== 'deleteTensor');
    return {
      phase: p,
      wallMs: wall.get(p)! / n,
      opsMs: sum(ops) / n,
      ops: ops.reduce((a, e) => a + e.calls, 0) / n,
      copiesMs: sum(es.filter((e) => e.what.startsWith('copy'))) / n,
      deletesMs: sum(es.filter((e) => e.what === 'deleteTensor')) / n,
      // What is left: tfjs's own work between ops (op wrappers, the gradient tape, tidy).
      jsMs: (wall.get(p)! - sum(es)) / n,
    };
  });
  const byOp = new Map<string, { op: string; calls: number; ms: number }>();
  for (const e of native.values()) {
    const op = e.what.split(' → ')[0]!;
    const x = byOp.get(op) ?? { op, calls: 0, ms: 0 };
    x.calls += e.calls / n;
    x.ms += e.ms / n;
    byOp.set(op, x);
  }
  return {
    stepsAveraged: n,
    batchAssemblyMs: batchMs / n,
    phases,
    topOps: [...byOp.values()].sort((a, b) => b.ms - a.ms).slice(0, 15),
    topOpShapes: [...native.values()]
      .map((e) => ({ ...e, calls: e.calls / n, ms: e.ms / n }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 15),
  };
}

// ---- the orchestrator

/** Relation examples made from dependency sentences: real sentences and lengths, markers on random words, random labels. */
async function synthesisedRelations(config: Config, base: BaseModel, labels: string[], n: number) {
  const rand = mulberry32(12345);
  const out: EncodedRelation[] = [];
  const index = new Map(labels.map((l, i) => [l, i]));
  const maxLength = Math.min(config.model.maxLength, base.maxLength);
  for (const f of dependencySplitFiles(config, 'train')) {
    for await (const row of readJsonLines(f, DependencyExample, {})) {
      const words = row.tokens.length;
      if (words < 3) continue;
      const s = Math.floor(rand() * words);
      let o = Math.floor(rand() * (words - 1));
      if (o >= s) o++;
      const ex = encodeRelation(
        {
          id: row.id,
          token: row.tokens,
          subj_start: s,
          subj_end: s,
          obj_start: o,
          obj_end: o,
          relation: labels[Math.floor(rand() * labels.length)]!,
        },
        base.tokenizer,
        index,
        maxLength,
        {},
      );
      if (ex) out.push(ex);
      if (out.length >= n) return out;
    }
  }
  return out;
}

/** Batches for `count` steps: epochs of the seeded plan, one after another. */
function stepsOf<B>(count: number, epoch: (e: number) => B[]): B[] {
  const out: B[] = [];
  for (let e = 0; out.length < count; e++) {
    const plan = epoch(e);
    if (plan.length === 0) throw new Error('bench:train: no batch to train on');
    out.push(...plan.slice(0, count - out.length));
  }
  return out;
}

export async function runVsPytorch(o: VsPytorchOptions): Promise<void> {
  const config = configFor(o);
  const backend = await initBackend(config.backend);
  const base = loadBaseModel(resolveBaseModelDir(config));
  const adapter = adapterConfigFor(config, base);
  const train = trainConfigFor(config);
  const bs = train.batchSize;
  const L = base.config.layers;
  const total = o.warmup + o.steps;
  const need = total * bs;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-bench-vs-torch-'));
  const notes: string[] = [];

  const wantsFacts = o.tasks.includes('factual') || o.tasks.includes('multitask');
  const wantsDeps = o.tasks.includes('linguistic') || o.tasks.includes('multitask');
  const small = { ...config, adapters: { ...config.adapters, maxTrain: need, maxDev: 1 } };
  const deps = wantsDeps ? (await knowledgeTaskData(small, base, 'linguistic')).data : null;
  let facts: { labels: string[]; train: EncodedRelation[] } | null = null;
  if (wantsFacts) {
    const real = (await knowledgeTaskData(small, base, 'factual')).data;
    const labels = real.labels;
    facts = { labels, train: real.splits.train as EncodedRelation[] };
    if (facts.train.length < need) {
      facts = { labels, train: await synthesisedRelations(config, base, labels, need) };
      notes.push(
        `relation examples: the ${o.dataProfile} build holds ${real.splits.train.length} (< ${need}), so ${facts.train.length} were made from its dependency sentences (real sentences and lengths, markers on random words, labels drawn from its ${labels.length})`,
      );
    }
  }

  const specs = new Map<Task, { file: string; batches: { lengths: number[] }[] }>();
  const common = {
    lastLayer: L,
    scoreDim: config.adapters.headScoreDim,
    optim: train.optim,
    warmup: o.warmup,
    baseModel: base.dir,
    padId: base.tokenizer.padId,
    profile: o.profile,
    dataProfile: o.dataProfile,
  };
  for (const task of o.tasks) {
    const dir = path.join(scratch, task);
    fs.mkdirSync(dir, { recursive: true });
    const init = path.join(dir, 'init.safetensors');
    if (task === 'multitask') {
      const data = multitaskParts(
        base.config.hidden,
        facts!.labels,
        config.adapters.headScoreDim,
        facts!.train,
        deps!.splits.train,
      );
      const { params } = initMultitask(base, data, 1);
      const heads = Object.entries(params).filter(([n]) => !n.startsWith('base.'));
      writeSafetensors(
        init,
        Object.fromEntries(
          heads.map(([n, t]) => [n, { dtype: 'F32', shape: t.shape, data: t.dataSync() as Float32Array }]),
        ),
      );
      tf.dispose(Object.values(params));
      const batches = stepsOf(total, (e) => multitaskPlan(data, 1, e, bs)).map((ref) => ({
        task: data[ref.part]!.task.name as 'relation' | 'dependency',
        examples: ref.indices.map((i) => data[ref.part]!.train[i]!),
      }));
      const spec: Spec = { kind: 'multitask', task: 'multitask', labels: facts!.labels, init, batches, ...common };
      fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
      specs.set(task, {
        file: path.join(dir, 'spec.json'),
        batches: batches.map((b) => ({ lengths: b.examples.map((e) => e.ids.length) })),
      });
      continue;
    }
    const examples = task === 'factual' ? facts!.train : deps!.splits.train;
    const layers = [...new Set([...adapter.readLayers, L])].sort((a, b) => a - b);
    const cacheDir = path.join(dir, 'cache');
    await buildFeatureCache({
      dir: cacheDir,
      model: base,
      examples,
      spec: { layers, dtype: 'float16', shardSize: config.adapters.featureShardSize },
      key: `bench ${task}`,
      backend: backend.name,
      label: `bench features ${task}`,
    });
    const cache = new FeatureCache(cacheDir);
    const head =
      task === 'factual'
        ? { kind: 'relation', hidden: base.config.hidden, fuse: true, labels: facts!.labels }
        : { kind: 'dependency', hidden: base.config.hidden, fuse: true, scoreDim: config.adapters.headScoreDim };
    const settings = {
      architecture: 'k-adapter',
      ...adapter,
      activation: 'gelu',
      heads: Math.max(1, Math.floor(adapter.size / 64)),
    };
    const model = initKnowledgeModel({ adapter: settings, head, lastLayer: L, seed: 1 });
    writeSafetensors(
      init,
      Object.fromEntries(
        Object.entries(modelVariables(model)).map(([n, t]) => [
          n,
          { dtype: 'F32', shape: t.shape, data: t.dataSync() as Float32Array },
        ]),
      ),
    );
    const plan = stepsOf(total, (e) => epochPlan(cache, 1, e, bs));
    const shardExamples = cache.manifest.shards.map((_, i) => cache.loadShard(i).examples);
    const spec: Spec = {
      kind: 'adapter',
      task: task === 'factual' ? 'relation' : 'dependency',
      adapter: settings,
      head: { ...head },
      labels: facts?.labels ?? [],
      cache: { dir: cacheDir, layers, hidden: base.config.hidden },
      plan,
      init,
      ...common,
    };
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
    specs.set(task, {
      file: path.join(dir, 'spec.json'),
      batches: plan.map((ref) => ({ lengths: ref.indices.map((i) => shardExamples[ref.shard]![i]!.length) })),
    });
  }

  const results: Record<string, unknown> = {};
  const rows: Row[] = [];
  for (const task of o.tasks) {
    const { file, batches } = specs.get(task)!;
    const timed = batches.slice(o.warmup);
    const tokens = timed.reduce((n, b) => n + b.lengths.reduce((a, c) => a + c, 0), 0);
    const padded = timed.reduce((n, b) => n + b.lengths.length * Math.max(...b.lengths), 0);
    const kadapter: KadapterResult[] = [];
    for (const threads of o.threads) {
      const out = execFileSync(
        process.execPath,
        [
          ...process.execArgv,
          process.argv[1]!,
          '--side',
          'kadapter',
          '--spec',
          file,
          '--threads',
          String(threads),
          ...(o.ops && threads === o.threads[0] ? ['--ops'] : []),
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, TF_NUM_INTRAOP_THREADS: String(threads) },
          maxBuffer: 64 * 2 ** 20,
        },
      );
      kadapter.push(
        parseJsonText(
          out.toString().trim().split('\n').pop()!,
          KadapterResult,
          `bench:train: kadapter's ${task} worker`,
        ),
      );
    }
    let torch: z.infer<typeof TorchResult> | null = null;
    try {
      const out = execFileSync(
        o.python,
        [path.join(repoRoot, 'scripts', 'bench', 'train_torch.py'), file, o.threads.join(',')],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          maxBuffer: 64 * 2 ** 20,
        },
      );
      torch = parseJsonText(
        out.toString().trim().split('\n').pop()!,
        TorchResult,
        `bench:train: the PyTorch ${task} side`,
      );
    } catch (e) {
      process.stderr.write(
        `bench:train: PyTorch side failed for ${task} (needs torch, transformers, safetensors: --python PY): ${((e as { stderr?: Buffer }).stderr?.toString() ?? String(e)).trim().split('\n').slice(-3).join(' | ')}\n`,
      );
    }
    for (const k of kadapter) {
      const t = torch?.runs.find((r) => r.threads === k.threads);
      const maxDiff = t ? Math.max(...k.losses.map((l, i) => Math.abs(l - t.losses[i]!))) : NaN;
      rows.push({
        task,
        threads: k.threads,
        'kadapter ex/s': k.examplesPerSecond.toFixed(1),
        'PyTorch ex/s': t ? t.examples_per_s.toFixed(1) : 'n/a',
        'kadapter/PyTorch': t ? `${(k.examplesPerSecond / t.examples_per_s).toFixed(2)}×` : 'n/a',
        'cores busy k/P': t ? `${k.coresBusy.toFixed(1)}/${t.cores_busy.toFixed(1)}` : k.coresBusy.toFixed(1),
        'peak RSS MiB k/P': `${Math.round(k.peakRssMb)}/${torch ? Math.round(torch.peak_rss_mb) : 'n/a'}`,
        'loss step 1 / last (k)': `${k.losses[0]!.toFixed(4)} / ${k.losses.at(-1)!.toFixed(4)}`,
        'max |Δloss|': t ? maxDiff.toExponential(1) : 'n/a',
      });
    }
    results[task] = {
      steps: o.steps,
      warmupSteps: o.warmup,
      batches: timed.length,
      examples: timed.reduce((n, b) => n + b.lengths.length, 0),
      tokens,
      paddedTokens: padded,
      kadapter: kadapter.map(({ ops: _ops, ...r }) => r),
      ops: kadapter.find((k) => k.ops)?.ops,
      torch,
    };
  }

  const head = `training step, kadapter (${describeBackend(backend).split(';')[0]}) vs PyTorch ${(results[o.tasks[0]!] as { torch?: { torch: string } }).torch?.torch ?? ''}: adapter A=${adapter.size} N=${adapter.layers} heads=${Math.max(1, Math.floor(adapter.size / 64))} read ${JSON.stringify(adapter.readLayers)} chain ${adapter.chain}, batch ${bs}, max length ${config.model.maxLength}, ${o.steps} timed steps after ${o.warmup}; data: ${o.dataProfile} build`;
  process.stdout.write(`${head}\n${formatTable(rows)}\n`);
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  for (const task of o.tasks) {
    const r = results[task] as { tokens: number; paddedTokens: number; ops?: Awaited<ReturnType<typeof profileStep>> };
    process.stdout.write(
      `${task}: ${r.tokens} tokens in ${r.paddedTokens} padded positions (${((1 - r.tokens / r.paddedTokens) * 100).toFixed(0)}% padding)\n`,
    );
    if (!r.ops) continue;
    process.stdout.write(
      `${task}, where one step's time goes (kadapter, mean of ${r.ops.stepsAveraged} steps; batch assembly in JS alone ${r.ops.batchAssemblyMs.toFixed(1)} ms, inside forward)\n${formatTable(
        r.ops.phases.map((p) => ({
          phase: p.phase,
          'wall ms': p.wallMs.toFixed(1),
          'native ops': Math.round(p.ops),
          'in ops ms': p.opsMs.toFixed(1),
          'copies ms': p.copiesMs.toFixed(1),
          'deletes ms': p.deletesMs.toFixed(1),
          'tfjs JS ms': p.jsMs.toFixed(1),
        })),
      )}\n${formatTable(
        r.ops.topOps
          .slice(0, 10)
          .map((t) => ({ 'native op': t.op, 'calls/step': Math.round(t.calls), 'ms/step': t.ms.toFixed(1) })),
      )}\n`,
    );
  }

  writeModeResult('vsPytorch', {
    date: new Date().toISOString(),
    profile: o.profile,
    dataProfile: o.dataProfile,
    notes,
    adapterConfig: adapter,
    batchSize: bs,
    maxLength: config.model.maxLength,
    cores: os.availableParallelism(),
    backend: backend.name,
    results,
  });
  fs.rmSync(scratch, { recursive: true, force: true });
}

/** reports/bench/train.json holds each mode's last results under its own key. */
export function writeModeResult(mode: 'cache' | 'vsPytorch', result: unknown): void {
  const outDir = path.join(repoRoot, 'reports', 'bench');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'train.json');
  const BenchFile = z.looseObject({ modes: z.record(z.string(), z.unknown()).default({}) });
  const modes = readJsonFileIfExists(file, BenchFile)?.modes ?? {};
  fs.writeFileSync(file, `${JSON.stringify({ modes: { ...modes, [mode]: result } }, null, 2)}\n`);
}
