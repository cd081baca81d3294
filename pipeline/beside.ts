// `pipeline` on a machine with a second core runs ablate beside evaluate, in a process of its own.
// Both are mostly one thread of task-layer training on pooled vectors; they write disjoint
// folders, each under its own lock (Stage.folder), and ablate reads the vectors evaluate keeps in
// the pooled cache. The pair then takes about as long as evaluate alone instead of the sum.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../src/util/errors.ts';
import { repoRoot } from '../src/util/paths.ts';
import type { Stage } from './stages.ts';

/** Whether ablate runs beside evaluate: both are asked for and there is a core for each. */
export function ablateBesideEvaluate(stages: Stage[], cores = os.availableParallelism()): boolean {
  const names = stages.map((s) => s.name);
  return cores > 1 && names.includes('evaluate') && names.includes('ablate');
}

/** The command-line options of this run that ablate takes, as arguments. */
export function ablateArgs(o: {
  profile: string;
  force?: boolean;
  baseModel?: string;
  dataDir?: Record<string, string[]>;
}): string[] {
  const args = ['ablate', '--profile', o.profile];
  if (o.force) args.push('--force');
  if (o.baseModel) args.push('--base-model', o.baseModel);
  for (const [task, sets] of Object.entries(o.dataDir ?? {}))
    for (const set of sets) args.push('--data-dir', `${task}=${set}`);
  return args;
}

/**
 * Starts `kadapter <args>` with this process's output; a Ctrl-C or SIGTERM this process gets is
 * passed on. `done` settles when it exits: an error naming its exit code or signal unless it is 0.
 */
export function startStageProcess(args: string[]): { done: Promise<void>; stop(): void } {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/kadapter.js'), ...args], { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      if (code === 0) resolve();
      else
        reject(
          new UserError(`kadapter ${args.join(' ')} (run beside evaluate) ended with ${signal ?? `exit code ${code}`}`),
        );
    });
  });
  return { done, stop: () => child.kill('SIGTERM') };
}
