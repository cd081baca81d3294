// The train stage's jobs: which there are, in which order, how many run at once, and how a
// failed job is reported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config/load.ts';
import { readJobSpec, runJobsInWorkers, trainJobs, trainWorkers } from './train-jobs.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-train-jobs-test-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('train jobs', () => {
  it('trains every adapter seed and the multi-task baseline on the first seed, longest first', () => {
    expect(trainJobs(['factual', 'linguistic', 'multitask'], [1, 2])).toEqual([
      { adapter: 'multitask', seed: 1 },
      { adapter: 'linguistic', seed: 1 },
      { adapter: 'linguistic', seed: 2 },
      { adapter: 'factual', seed: 1 },
      { adapter: 'factual', seed: 2 },
    ]);
    expect(trainJobs(['factual'], [3])).toEqual([{ adapter: 'factual', seed: 3 }]);
  });

  it('runs one job a core, never more processes than jobs, and in this process on one core', () => {
    expect(trainWorkers(7, 2)).toBe(2);
    expect(trainWorkers(1, 8)).toBe(1);
    expect(trainWorkers(7, 1)).toBe(1);
  });

  it("reads back the resolved configuration a job is given, and rejects one that isn't", () => {
    const config = loadConfig({ profile: 'smoke' });
    const file = path.join(scratch, 'spec.json');
    fs.writeFileSync(file, JSON.stringify({ config, job: { adapter: 'factual', seed: 2 } }));
    expect(readJobSpec(file)).toEqual({ config, job: { adapter: 'factual', seed: 2 } });
    fs.writeFileSync(file, JSON.stringify({ config, job: { adapter: 'syntax', seed: 2 } }));
    expect(() => readJobSpec(file)).toThrow(/job\.adapter/);
  });

  const startedJobs = async (run: () => Promise<void>) => {
    const log = vi.spyOn(process.stderr, 'write');
    const outcome = await run().then(
      () => null,
      (e: Error) => e.message,
    );
    const started = log.mock.calls.flatMap(
      (c) => /train: (.+) starts in its own process/.exec(String(c[0]))?.[1] ?? [],
    );
    log.mockRestore();
    return { outcome, started };
  };
  const unbuilt = () => {
    const config = { ...loadConfig({ profile: 'smoke' }) };
    config.paths = { ...config.paths, buildDir: path.join(scratch, 'build') };
    return config;
  };

  it('starts a job that needs no cache at once and the others once the caches are built', async () => {
    const jobs = [
      { adapter: 'factual', seed: 1 },
      { adapter: 'multitask', seed: 1 },
    ] as const;
    let built = false;
    const caches = new Promise<void>((resolve) => setTimeout(resolve, 200)).then(() => {
      built = true;
    });
    const { outcome, started } = await startedJobs(() =>
      runJobsInWorkers(unbuilt(), [...jobs], 2, { promise: caches, needs: (j) => j.adapter !== 'multitask' }),
    );
    expect(built).toBe(true);
    expect(started).toEqual(['multitask seed 1', 'factual seed 1']);
    expect(outcome).toMatch(/ended with exit code 1/); // nothing is built here
  }, 120_000);

  it('stops the running jobs and starts no other when the caches fail', async () => {
    const jobs = [
      { adapter: 'factual', seed: 1 },
      { adapter: 'multitask', seed: 1 },
    ] as const;
    const caches = new Promise<void>((_, reject) => setTimeout(() => reject(new Error('cache: disk full')), 50));
    const { outcome, started } = await startedJobs(() =>
      runJobsInWorkers(unbuilt(), [...jobs], 2, { promise: caches, needs: (j) => j.adapter !== 'multitask' }),
    );
    expect(outcome).toBe('cache: disk full');
    expect(started).toEqual(['multitask seed 1']);
  }, 120_000);

  it('reports a job that fails with the job and its exit code, and starts no job after it', async () => {
    // Nothing is built in this folder: each job stops with exit code 1.
    const config = { ...loadConfig({ profile: 'smoke' }) };
    config.paths = { ...config.paths, buildDir: path.join(scratch, 'build') };
    const log = vi.spyOn(process.stderr, 'write');
    await expect(
      runJobsInWorkers(
        config,
        [
          { adapter: 'factual', seed: 1 },
          { adapter: 'factual', seed: 2 },
          { adapter: 'factual', seed: 3 },
        ],
        2,
      ),
    ).rejects.toThrow(
      /kadapter train-job \S+factual-seed-[12]\.json \(train factual seed [12]\) ended with exit code 1/,
    );
    const started = log.mock.calls.flatMap(
      (c) => /train: (.+) starts in its own process/.exec(String(c[0]))?.[1] ?? [],
    );
    log.mockRestore();
    expect(started).toEqual(['factual seed 1', 'factual seed 2']);
  }, 120_000);
});
