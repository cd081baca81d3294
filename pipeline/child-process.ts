// A kadapter command run as a child of this one (ablate beside evaluate, train's jobs on their own
// cores). A Ctrl-C or SIGTERM this process gets is passed on, so no child outlives a stopped run.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../src/util/errors.ts';
import { repoRoot } from '../src/util/paths.ts';

/**
 * TensorFlow intra-op threads for each of `processes` processes sharing the cores, at least one:
 * small task-layer and adapter products gain little from a second thread, so processes side by side
 * do more on the same cores when each keeps to its share (docs/decisions.md, "The default budget").
 */
export const threadsEach = (processes: number, cores = os.availableParallelism()): number =>
  Math.max(1, Math.floor(cores / processes));

export interface ChildOptions {
  /** Says why it runs, in the message of a failed exit ("run beside evaluate"). */
  role: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /**
   * Its stderr through a pipe rather than this terminal: progress is then written as lines, not
   * as a bar, so that several children's progress can share one terminal.
   */
  pipeStderr?: boolean;
}

/** Starts `kadapter <args>`; `done` settles when it exits: an error naming its exit code or signal unless it is 0. */
export function startKadapterProcess(args: string[], o: ChildOptions): { done: Promise<void>; stop(): void } {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/kadapter.js'), ...args], {
    stdio: ['ignore', 'inherit', o.pipeStderr ? 'pipe' : 'inherit'],
    env: { ...process.env, ...o.env },
  });
  child.stderr?.pipe(process.stderr, { end: false });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    // 'close', not 'exit': the piped stderr has been read to its end.
    child.once('close', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      if (code === 0) resolve();
      else reject(new UserError(`kadapter ${args.join(' ')} (${o.role}) ended with ${signal ?? `exit code ${code}`}`));
    });
  });
  return { done, stop: () => child.kill('SIGTERM') };
}
