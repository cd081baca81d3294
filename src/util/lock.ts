// One writer per folder: `<folder>/.lock` holds the owner's pid, its start time (Linux: field 22 of
// /proc/<pid>/stat, so a pid reused by another process is told apart), the command and when it
// took the lock. A second writer stops at once with a one-line message naming the owner; a lock
// whose owner is gone is taken over, and the log says so. The lock goes when the process exits,
// however it exits (failure, process.exit from a signal handler), or when released.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from './errors.ts';
import { pidAlive } from './pid.ts';

export const LOCK_FILE = '.lock';

const LockOwner = z.object({
  pid: z.number().int().min(1),
  /** Clock ticks after boot at which the process started (/proc/<pid>/stat); null where unknown. */
  startTime: z.string().nullable(),
  command: z.string(),
  since: z.string(),
});
export type LockOwner = z.infer<typeof LockOwner>;

/** Start time of a process as /proc records it, null when there is no such process or no /proc. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall
  } catch {
    return null;
  }
}

/** Whether the process that wrote the lock still runs: same pid and, where known, same start time. */
export function ownerAlive(owner: LockOwner): boolean {
  if (!pidAlive(owner.pid)) return false;
  if (owner.startTime === null) return true;
  const now = processStartTime(owner.pid);
  return now === null || now === owner.startTime;
}

function describeOwner(o: LockOwner): string {
  return `pid ${o.pid} (${o.command}), since ${o.since}`;
}

function readOwner(file: string): LockOwner | null | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    return LockOwner.parse(JSON.parse(text));
  } catch {
    return 'unreadable';
  }
}

/** `what` names the folder in messages; `command` is recorded as the owner's; `log` takes takeover lines. */
export type LockOptions = { what?: string; command?: string; log?: (line: string) => void };

export interface Lock {
  readonly file: string;
  release(): void;
}

const held = new Set<string>();
let exitHook = false;

/**
 * Takes `<dir>/.lock` for this process (the folder is created), or throws a UserError naming the
 * live owner. `what` names the folder in messages (e.g. "build folder").
 */
export function acquireLock(dir: string, opts: LockOptions = {}): Lock {
  const taken = takeLock(dir, opts);
  if ('release' in taken) return taken;
  throw new UserError(
    `${opts.what ?? 'folder'} ${dir} is in use by ${describeOwner(taken)}; wait for it to finish or stop it`,
  );
}

/** Takes `<dir>/.lock` like acquireLock, or returns null while a live process holds it. */
export function tryLock(dir: string, opts: LockOptions = {}): Lock | null {
  const taken = takeLock(dir, opts);
  return 'release' in taken ? taken : null;
}

/** Takes `<dir>/.lock` once its live owner lets it go (or dies), looking every `everyMs`. */
export async function waitForLock(dir: string, opts: LockOptions & { everyMs?: number } = {}): Promise<Lock> {
  for (;;) {
    const lock = tryLock(dir, opts);
    if (lock) return lock;
    await new Promise((resolve) => setTimeout(resolve, opts.everyMs ?? 5_000));
  }
}

/** The lock, or the live process that holds it. */
function takeLock(dir: string, opts: LockOptions): Lock | LockOwner {
  const what = opts.what ?? 'folder';
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    startTime: processStartTime(process.pid),
    command: opts.command ?? process.argv.slice(1).join(' '),
    since: new Date().toISOString(),
  };
  const text = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(file, text, { flag: 'wx', mode: 0o644 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readOwner(file);
      if (owner === null) continue; // released meanwhile
      if (owner === 'unreadable') {
        // A lock is written in one small write; an unreadable one is being written right now, or
        // was left half-written by a crash. Look again before judging.
        if (attempt < 2) {
          sleepSync(50);
          continue;
        }
        log(`lock: ${file} is unreadable; taking it over`);
      } else if (owner.pid === process.pid && held.has(file)) {
        throw new Error(`${file} is already held by this process`);
      } else if (ownerAlive(owner)) {
        return owner;
      } else {
        log(`lock: taking over ${file} from ${describeOwner(owner)}, which is no longer running`);
      }
      // Remove the stale lock only if it is still the one judged stale, then race for it again.
      const again = readOwner(file);
      const same =
        again === owner ||
        (again !== null &&
          again !== 'unreadable' &&
          owner !== 'unreadable' &&
          JSON.stringify(again) === JSON.stringify(owner));
      if (same) fs.rmSync(file, { force: true });
      continue;
    }
    held.add(file);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', releaseAllNow);
    }
    return { file, release: () => releaseOne(file, text) };
  }
  throw new UserError(`${what} ${dir}: could not take ${file}; another process keeps taking it`);
}

function releaseOne(file: string, text: string): void {
  if (!held.delete(file)) return;
  try {
    // Only our own lock: never one a later owner took over.
    if (fs.readFileSync(file, 'utf8') === text) fs.unlinkSync(file);
  } catch {
    // gone already
  }
}

function releaseAllNow(): void {
  for (const file of [...held]) {
    try {
      const owner = readOwner(file);
      if (owner !== null && owner !== 'unreadable' && owner.pid === process.pid) fs.unlinkSync(file);
    } catch {
      // gone already
    }
    held.delete(file);
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `work` holding the lock of `dir`, released however it ends. */
export async function withLock<T>(dir: string, opts: LockOptions, work: () => Promise<T>): Promise<T> {
  const lock = acquireLock(dir, opts);
  try {
    return await work();
  } finally {
    lock.release();
  }
}
