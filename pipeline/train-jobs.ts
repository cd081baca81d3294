// The train stage's units of work, and running them on their own cores.
// Adapter training is small matrix products driven op by op from JavaScript: a second intra-op
// thread buys it nothing (docs/decisions.md, "Training jobs side by side"), so two runs side by
// side, one thread each, train about twice as fast as one after the other. Each job runs in a
// `kadapter train-job` process that reads the resolved configuration from a file, resumes from its
// own checkpoint and writes only its own run folder; the stage, which holds the build folder's
// lock, gathers their summaries into the manifest.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { Config } from '../src/config/schema.ts';
import { readJsonFile } from '../src/util/json-file.ts';
import { startKadapterProcess, threadsEach } from './child-process.ts';

export const ADAPTER_NAMES = ['factual', 'linguistic', 'multitask'] as const;
export type AdapterName = (typeof ADAPTER_NAMES)[number];

/** One run of the train stage: a knowledge adapter's seed, or the multi-task baseline's. */
export const TrainJob = z.strictObject({ adapter: z.enum(ADAPTER_NAMES), seed: z.number().int() });
export type TrainJob = z.infer<typeof TrainJob>;

/** What a `train-job` process is given. */
const TrainJobSpec = z.strictObject({ config: Config, job: TrainJob });

// Longest first, so that the last job to start is a short one: the multi-task baseline
// backpropagates through the whole base; the linguistic adapter trains for more epochs than the factual.
const START_ORDER: AdapterName[] = ['multitask', 'linguistic', 'factual'];

/**
 * The stage's jobs, in the order they start. Each knowledge adapter trains once per seed; the
 * multi-task baseline for the first seed only: it costs as much as all the adapter seeds.
 */
export function trainJobs(adapters: AdapterName[], seeds: number[]): TrainJob[] {
  return START_ORDER.filter((a) => adapters.includes(a)).flatMap((adapter) =>
    (adapter === 'multitask' ? seeds.slice(0, 1) : seeds).map((seed) => ({ adapter, seed })),
  );
}

/** Processes to run jobs in: one a core, no more than there are jobs; 1 means in this process. */
export const trainWorkers = (jobs: number, cores = os.availableParallelism()): number =>
  Math.max(1, Math.min(cores, jobs));

export const jobLabel = (j: TrainJob) => `${j.adapter} seed ${j.seed}`;

/** What some jobs wait for (the feature caches) and which jobs those are; the others start at once. */
export interface JobsReady {
  promise: Promise<unknown>;
  needs(job: TrainJob): boolean;
}

/**
 * Runs the jobs in `workers` processes at once, each on its share of the cores, in queue order
 * except that a job needing `ready` waits for it while one that does not may go first (the
 * multi-task baseline trains while the stage builds the adapters' caches). A job that fails, or
 * `ready` failing, stops the others (each resumes from its checkpoint next time) and the error is thrown.
 */
export async function runJobsInWorkers(
  config: Config,
  jobs: TrainJob[],
  workers: number,
  ready: JobsReady = { promise: Promise.resolve(), needs: () => false },
): Promise<void> {
  const threads = String(threadsEach(workers));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-train-jobs-'));
  const queue = [...jobs];
  const running = new Set<{ stop(): void }>();
  let failure: Error | null = null;
  const fail = (e: Error, except?: unknown) => {
    if (failure) return;
    failure = e;
    for (const other of running) if (other !== except) other.stop();
  };
  let isReady = false;
  const readyDone = ready.promise.then(
    () => {
      isReady = true;
    },
    (e: unknown) => fail(e as Error),
  );
  const lane = async () => {
    while (!failure && queue.length > 0) {
      const at = queue.findIndex((j) => isReady || !ready.needs(j));
      if (at < 0) {
        await readyDone;
        continue;
      }
      const job = queue.splice(at, 1)[0]!;
      const file = path.join(scratch, `${job.adapter}-seed-${job.seed}.json`);
      fs.writeFileSync(file, JSON.stringify({ config, job }), { mode: 0o600 }); // the config may hold a password
      process.stderr.write(`kadapter: train: ${jobLabel(job)} starts in its own process (${threads} thread(s))\n`);
      const child = startKadapterProcess(['train-job', file], {
        role: `train ${jobLabel(job)}`,
        env: { TF_NUM_INTRAOP_THREADS: threads },
        pipeStderr: true,
      });
      running.add(child);
      try {
        await child.done;
      } catch (e) {
        fail(e as Error, child);
      } finally {
        running.delete(child);
      }
    }
  };
  try {
    await Promise.all([...Array.from({ length: workers }, lane), readyDone]);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  if (failure) throw failure;
}

/** A `train-job` process's configuration and job, validated. */
export const readJobSpec = (file: string) => readJsonFile(file, TrainJobSpec);
