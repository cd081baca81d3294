// One service JVM as seen from Node: started by us (attached or detached) or adopted from the
// state file of `services start`. Its output goes to a log file whose last lines explain a death.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../util/errors.ts';
import { pidAlive } from '../util/pid.ts';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  logFile: string;
  /** Detached processes outlive this one (services start); attached ones die with it. */
  detached: boolean;
}

const ADOPTED_POLL_MS = 1000;


/**
 * Whether `pid` is a live service JVM of ours. A pid from an old state file may have been reused by
 * an unrelated process, which must never be signalled.
 */
export function isKadapterService(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kadapter.ServiceMain');
  } catch {
    return process.platform !== 'linux'; // no /proc to ask: trust the pid
  }
}

/** Last `n` non-empty lines of a text, right-trimmed. */
export function lastLines(text: string, n: number): string[] {
  return text.split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0).slice(-n);
}

/** Last `n` non-empty lines of a log file (reads only its end). */
export function tailFile(file: string, n = 20, maxBytes = 64 * 1024): string[] {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, size - length);
    return lastLines(buf.toString('utf8'), n);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Resident memory of a process in MiB, from /proc (Linux); null where unavailable. */
export function residentMiB(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Detached processes still starting (services start): nothing records them yet, so a signal
 * handler must stop them or they would run on unseen.
 */
export const startingDetached = new Set<ServiceProcess>();

export class ServiceProcess {
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | null = null;

  private constructor(
    readonly name: string,
    readonly pid: number,
    readonly logFile: string,
    private readonly child: ChildProcess | null,
  ) {
    this.exited = child ? this.watchChild(child) : this.pollAdopted();
  }

  static spawn(spec: SpawnSpec): ServiceProcess {
    fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
    const log = fs.openSync(spec.logFile, 'w');
    try {
      const child = spawn(spec.command, spec.args, {
        env: { ...process.env, ...spec.env },
        // Attached: a stdin pipe that closes when we die tells the JVM to exit (ServiceMain).
        stdio: [spec.detached ? 'ignore' : 'pipe', log, log],
        detached: spec.detached,
      });
      // A failed spawn also emits 'error' later; without a listener that would crash the process.
      child.once('error', () => undefined);
      if (child.pid === undefined) {
        throw new UserError(`could not start ${spec.name} (${spec.command}): is it installed, and is there memory left?`);
      }
      // Neither the child nor its stdin pipe may keep this process alive; cleanup stops them.
      child.unref();
      (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
      const proc = new ServiceProcess(spec.name, child.pid, spec.logFile, spec.detached ? null : child);
      if (spec.detached) startingDetached.add(proc);
      return proc;
    } finally {
      fs.closeSync(log);
    }
  }

  /** A process started by an earlier command, known only by pid. */
  static adopt(name: string, pid: number, logFile: string): ServiceProcess {
    return new ServiceProcess(name, pid, logFile, null);
  }

  get running(): boolean {
    if (this.exitInfo !== null) return false;
    return this.child ? pidAlive(this.pid) : isKadapterService(this.pid);
  }

  logTail(n = 20): string[] {
    return tailFile(this.logFile, n);
  }

  residentMiB(): number | null {
    return residentMiB(this.pid);
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
  async stop(graceMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.signal('SIGTERM');
    // The grace timer is cancelled once the process is gone, or it would hold the event loop.
    const grace = new AbortController();
    const gone = await Promise.race([
      this.exited.then(() => true),
      sleep(graceMs, false, { signal: grace.signal }).catch(() => true),
    ]);
    grace.abort();
    if (!gone) {
      this.signal('SIGKILL');
      await this.exited;
    }
  }

  /** Synchronous kill for process 'exit' handlers, where nothing can be awaited. */
  killNow(): void {
    if (this.running) this.signal('SIGTERM');
  }

  private signal(sig: NodeJS.Signals): void {
    try {
      process.kill(this.pid, sig);
    } catch {
      // Already gone.
    }
  }

  private watchChild(child: ChildProcess): Promise<ExitInfo> {
    return new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  private async pollAdopted(): Promise<ExitInfo> {
    while (isKadapterService(this.pid)) await sleep(ADOPTED_POLL_MS, undefined, { ref: false });
    this.exitInfo = { code: null, signal: null };
    return this.exitInfo;
  }
}
