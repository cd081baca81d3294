// Stage `train`: the knowledge adapters on the frozen base, and the multi-task baseline.
//   inputs   each knowledge task's build data (src/tasks/knowledge: facts/ for the factual adapter,
//            the dependency train shards for the linguistic one); the base model
//   steps    read and encode each task's data (counted skips) → feature caches of the base's hidden
//            states (once) → jobs (each adapter seed, the multi-task baseline), one a core in
//            processes of their own (train-jobs.ts): train, evaluate on dev each epoch → run folder
//   outputs  <build>/runs/<adapter>/seed-<s>/{adapter/, metrics.jsonl, predictions-dev.jsonl, summary.json}
//            <build>/runs/manifest.json
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import { runsDir } from '../src/data/layout.ts';
import { describeBackend } from '../src/kadapter/backend.ts';
import { TrainRunSummary } from '../src/kadapter/run-summary.ts';
import { scoreColumns } from '../src/methods/pretrain.ts';
import { readJsonFile } from '../src/util/json-file.ts';
import { removeStaleTemps } from '../src/util/jsonl.ts';
import { formatTable } from '../src/util/table.ts';
import { jobContext, jobDir, runJob, type KnowledgeAdapter } from './train-context.ts';
import {
  ADAPTER_NAMES,
  readJobSpec,
  runJobsInWorkers,
  trainJobs,
  trainWorkers,
  type AdapterName,
  type TrainJob,
} from './train-jobs.ts';

export { ADAPTER_NAMES, type AdapterName };

export interface TrainStageOptions {
  adapters: AdapterName[];
  force: boolean;
}

export async function runTrainStage(config: Config, opts: TrainStageOptions): Promise<void> {
  const manifest: Record<string, unknown> = {
    stage: 'train',
    profile: config.profile,
    runs: [] as unknown[],
    /** Per task: examples, rows read, skips and the source mix of each split's sample. */
    data: {} as Record<string, unknown>,
    startedAt: new Date().toISOString(),
  };
  const { ctx, backend } = await jobContext(config, (name, data, summary) => {
    process.stderr.write(
      `kadapter: ${name}: ${data.splits.train.length} train / ${data.splits.dev.length} dev examples; skipped ${JSON.stringify(data.skips)}\n`,
    );
    (manifest.data as Record<string, unknown>)[name] = summary;
  });
  const { base } = ctx;
  process.stderr.write(`kadapter: backend ${describeBackend(backend)}\n`);
  Object.assign(manifest, {
    base: {
      name: base.name,
      dir: base.dir,
      parameters: base.parameters,
      layers: base.config.layers,
      hidden: base.config.hidden,
    },
    backend: describeBackend(backend),
    adapter: ctx.adapterSettings,
    training: ctx.trainingManifest,
  });
  // A run killed while writing leaves temp files (checkpoint folders, atomic writes): a resumed run starts clean.
  const stale = removeStaleTemps(runsDir(config));
  if (stale > 0) process.stderr.write(`kadapter: train: removed ${stale} temp file(s) left by an earlier run\n`);
  const jobs = trainJobs(opts.adapters, config.adapters.seeds);
  if (opts.force) for (const j of jobs) fs.rmSync(jobDir(config, j), { recursive: true, force: true });
  // Before any job starts: the data of each task a job reads (the multi-task baseline reads every
  // task's; the manifest records each). The adapters' feature caches are built next; with a second
  // core the multi-task baseline, which reads no cache, trains beside them.
  const multitask = jobs.some((j) => j.adapter === 'multitask');
  const adapters = ctx.knowledgeAdapters;
  const trained = adapters.filter((name) => jobs.some((j) => j.adapter === name));
  for (const name of adapters) if (trained.includes(name) || multitask) await ctx.dataFor(name);
  const caches = async () => {
    for (const name of trained) await ctx.featuresFor(name);
  };
  const workers = trainWorkers(jobs.length);
  if (workers > 1)
    await runJobsInWorkers(config, jobs, workers, { promise: caches(), needs: (j) => j.adapter !== 'multitask' });
  else {
    await caches();
    for (const j of jobs) await runJob(ctx, j);
  }

  const rows: Record<string, unknown>[] = [];
  const listed = (j: TrainJob) => ADAPTER_NAMES.indexOf(j.adapter);
  for (const j of [...jobs].sort((a, b) => listed(a) - listed(b) || a.seed - b.seed)) {
    const runDir = jobDir(config, j);
    const s = readJsonFile(path.join(runDir, 'summary.json'), TrainRunSummary);
    (manifest.runs as unknown[]).push({
      adapter: j.adapter,
      seed: j.seed,
      dir: path.relative(config.paths.buildDir, runDir),
      dev: s.dev,
      seconds: s.seconds,
      ...(j.adapter === 'multitask' ? {} : { parameters: s.parameters }),
    });
    rows.push({
      adapter: j.adapter === 'multitask' ? 'multitask (base trained)' : j.adapter,
      seed: j.seed,
      ...scoreColumns(s.dev),
      seconds: Math.round(s.seconds),
      ...(s.parameters.adapter === undefined ? {} : { 'adapter params': s.parameters.adapter }),
      'base params': s.parameters.base,
    });
    for (const [b, m] of Object.entries(s.baselines ?? {}))
      rows.push({ adapter: `${j.adapter}: ${b}`, seed: '', ...scoreColumns({ ...m, loss: m.loss ?? NaN }) });
  }
  manifest.finishedAt = new Date().toISOString();
  fs.mkdirSync(runsDir(config), { recursive: true });
  fs.writeFileSync(path.join(runsDir(config), 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`${formatTable(rows as never)}\n`);
}

/** `kadapter train-job <spec>`: one job of a train stage, in a process of its own (train-jobs.ts). */
export async function runTrainJobCommand(specFile: string): Promise<void> {
  const { config, job } = readJobSpec(specFile);
  const { ctx } = await jobContext(config);
  await runJob(ctx, job);
}

export type { KnowledgeAdapter };
