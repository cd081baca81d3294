// Reliability: Ctrl-C and SIGTERM stop every long stage within seconds — the
// training loop, the feature cache, pooling and the task layers of the evaluation — because each
// loop yields to the event loop between steps; the exit code is 130/143 and a rerun of training
// resumes from its last checkpoint, which the signal leaves whole.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './paths.ts';
import { yieldToEventLoop } from './interrupt.ts';

const FIXTURE = path.join(repoRoot, 'test/fixtures/kadapter/until-signalled.ts');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-signals-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Stops within this long of the signal (the loops yield every 20 ms; the process then exits). */
const STOP_WITHIN_MS = 5_000;

interface Running {
  output: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  signal: (s: NodeJS.Signals) => number;
}

function runStage(stage: string, dir: string): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, stage, dir], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  return {
    output: () => out,
    exit,
    signal: (s) => {
      child.kill(s);
      return performance.now();
    },
  };
}

async function until(what: string, ok: () => boolean, run: Running, ms = 60_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Signals a running stage and returns its exit code and how long it took to exit. */
async function stop(run: Running, s: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
  const sent = run.signal(s);
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_WITHIN_MS * 3).unref());
  const result = await Promise.race([run.exit, timeout]);
  if (result === 'timeout') {
    run.signal('SIGKILL');
    return { code: null, ms: Infinity };
  }
  return { code: result.code, ms: result.at - sent };
}

describe('signals', () => {
  it('SIGINT stops training within seconds with 130, its checkpoint whole; the rerun resumes from it and SIGTERM stops it with 143', async () => {
    const dir = path.join(scratch, 'train');
    const state = path.join(dir, 'run', 'checkpoint', 'state.json');
    const first = runStage('train', dir);
    await until('a first checkpoint', () => fs.existsSync(state), first);
    await new Promise((r) => setTimeout(r, 500)); // mid-training, past the first checkpoint
    const a = await stop(first, 'SIGINT');
    expect(a.code, first.output()).toBe(130);
    expect(a.ms).toBeLessThan(STOP_WITHIN_MS);
    expect(first.output()).toMatch(/kadapter: SIGINT, stopping/);
    const step = (JSON.parse(fs.readFileSync(state, 'utf8')) as { step: number }).step;
    expect(step).toBeGreaterThan(0);

    const second = runStage('train', dir);
    await until('the resume line', () => /resumed from step/.test(second.output()), second);
    expect(second.output()).toMatch(new RegExp(`signalled: resumed from step ${step} of `));
    await new Promise((r) => setTimeout(r, 500));
    const b = await stop(second, 'SIGTERM');
    expect(b.code, second.output()).toBe(143);
    expect(b.ms).toBeLessThan(STOP_WITHIN_MS);
  }, 120_000);

  it.each([
    ['features', 'SIGINT', 130],
    ['pool', 'SIGTERM', 143],
    ['task-layers', 'SIGINT', 130],
  ] as const)(
    'stops the %s loop on %s within seconds with %i',
    async (stage, s, code) => {
      const run = runStage(stage, path.join(scratch, stage));
      await until('the stage to run', () => run.output().includes(`RUNNING ${stage}`), run);
      await new Promise((r) => setTimeout(r, 1_000));
      const r = await stop(run, s);
      expect(run.output()).not.toContain('FINISHED'); // it was stopped, not done
      expect(r.code, run.output()).toBe(code);
      expect(r.ms).toBeLessThan(STOP_WITHIN_MS);
    },
    120_000,
  );
});

describe('yieldToEventLoop', () => {
  it('gives timers and signal handlers a turn at most every few milliseconds, not on every call', async () => {
    let turns = 0;
    const tick = setInterval(() => turns++, 1);
    const started = performance.now();
    let calls = 0;
    while (performance.now() - started < 200) {
      await yieldToEventLoop();
      calls++;
    }
    clearInterval(tick);
    expect(turns).toBeGreaterThan(3);
    expect(calls).toBeGreaterThan(10 * turns);
  });
});
