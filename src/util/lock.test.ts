import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from './errors.ts';
import { acquireLock, LOCK_FILE, processStartTime, tryLock, waitForLock, type Lock } from './lock.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-lock-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const fresh = (name: string) => path.join(scratch, name);
const owner = (pid: number, startTime: string | null, command = 'kadapter build-data --profile smoke') =>
  `${JSON.stringify({ pid, startTime, command, since: '2026-01-01T00:00:00.000Z' })}\n`;

/** The pid of a process that has exited (and been reaped), so no process holds it now. */
function deadPid(): number {
  const run = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(run.stdout);
}

/** A lock in `dir` held by a live process (a `sleep`), which the caller kills. */
async function heldByLiveProcess(dir: string) {
  const child = spawn('sleep', ['30']);
  await new Promise((r) => child.once('spawn', r));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, LOCK_FILE), owner(child.pid!, processStartTime(child.pid!)));
  return child;
}

describe('acquireLock', () => {
  it('writes the owner (pid, start time, command) and removes the lock on release', () => {
    const dir = fresh('plain');
    const lock = acquireLock(dir, { command: 'test' });
    const written = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'));
    expect(written).toMatchObject({ pid: process.pid, command: 'test' });
    if (process.platform === 'linux') expect(written.startTime).toBe(processStartTime(process.pid));
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  it('refuses a second writer while the owner runs, naming it in one line', async () => {
    const dir = fresh('held');
    const child = await heldByLiveProcess(dir);
    try {
      let err: unknown;
      try {
        acquireLock(dir, { what: 'build folder' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      const message = (err as Error).message;
      expect(message).toContain(
        `build folder ${dir} is in use by pid ${child.pid} (kadapter build-data --profile smoke), since 2026-01-01T00:00:00.000Z`,
      );
      expect(message).not.toContain('\n');
      // The owner's lock is left as it was.
      expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(child.pid);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('tryLock returns nothing while a live process holds the lock; waitForLock takes it once the owner is gone', async () => {
    const dir = fresh('claimed');
    const child = await heldByLiveProcess(dir);
    try {
      expect(tryLock(dir)).toBeNull();
      let taken: Lock | null = null;
      const waiting = waitForLock(dir, { everyMs: 20, log: () => undefined }).then((l) => (taken = l));
      await new Promise((r) => setTimeout(r, 100));
      expect(taken).toBeNull();
      child.kill('SIGKILL');
      await waiting;
      expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
      taken!.release();
      const again = tryLock(dir);
      expect(again).not.toBeNull();
      again!.release();
      expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('takes over the lock of a dead process and logs it', () => {
    const dir = fresh('dead');
    fs.mkdirSync(dir, { recursive: true });
    const pid = deadPid();
    fs.writeFileSync(path.join(dir, LOCK_FILE), owner(pid, '12345'));
    const lines: string[] = [];
    const lock = acquireLock(dir, { log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(new RegExp(`taking over .*\\.lock from pid ${pid} .*no longer running`));
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it.runIf(process.platform === 'linux')(
    'takes over a lock whose pid now belongs to another process (other start time)',
    () => {
      const dir = fresh('reused');
      fs.mkdirSync(dir, { recursive: true });
      // Our own pid is alive, but the lock says it started at another time: a reused pid.
      fs.writeFileSync(path.join(dir, LOCK_FILE), owner(process.pid, '1'));
      const lines: string[] = [];
      const lock = acquireLock(dir, { log: (l) => lines.push(l) });
      expect(lines.join('\n')).toMatch(/taking over .*no longer running/);
      lock.release();
    },
  );
});
