// `pipeline` on a machine with a second core runs ablate beside evaluate, in a process of its own.
// Both are mostly one thread of task-layer training on pooled vectors; they write disjoint
// folders, each under its own lock (Stage.folder), and ablate reads the vectors evaluate keeps in
// the pooled cache. The pair then takes about as long as evaluate alone instead of the sum.
import os from 'node:os';
import { startKadapterProcess } from './child-process.ts';
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

/** Starts `kadapter <args>` (ablate) beside evaluate; see startKadapterProcess. */
export const startStageProcess = (args: string[]) => startKadapterProcess(args, { role: 'run beside evaluate' });
