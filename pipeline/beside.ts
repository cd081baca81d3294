// `pipeline` on a machine with a second core runs ablate beside evaluate, in a process of its own.
// Both are mostly one thread of task-layer training on pooled vectors; they write disjoint
// folders, each under its own lock (Stage.folder), and ablate reads the vectors evaluate keeps in
// the pooled cache. Once ablate is done, an evaluate helper takes that core: it evaluates sets from
// the end of the list while evaluate works from the start (sets are claimed one at a time,
// pipeline/evaluate.ts), so that neither core idles while the other finishes.
import os from 'node:os';
import { startKadapterProcess } from './child-process.ts';
import type { Stage } from './stages.ts';

/** Whether ablate runs beside evaluate: both are asked for and there is a core for each. */
export function ablateBesideEvaluate(stages: Stage[], cores = os.availableParallelism()): boolean {
  const names = stages.map((s) => s.name);
  return cores > 1 && names.includes('evaluate') && names.includes('ablate');
}

export interface BesideOptions {
  profile: string;
  force?: boolean;
  baseModel?: string;
  protocol?: string;
  dataDir?: Record<string, string[]>;
}

/** The options of this run the process beside takes, as arguments, after its command and profile. */
function optionArgs(o: BesideOptions): string[] {
  const args: string[] = [];
  if (o.baseModel) args.push('--base-model', o.baseModel);
  for (const [task, sets] of Object.entries(o.dataDir ?? {}))
    for (const set of sets) args.push('--data-dir', `${task}=${set}`);
  return args;
}

export const ablateArgs = (o: BesideOptions): string[] => [
  'ablate',
  '--profile',
  o.profile,
  ...(o.force ? ['--force'] : []),
  ...optionArgs(o),
];

/** The helper never clears: evaluate, which started first, did that. */
export const evaluateHelperArgs = (o: BesideOptions): string[] => [
  'evaluate-helper',
  '--profile',
  o.profile,
  ...(o.protocol ? ['--protocol', o.protocol] : []),
  ...optionArgs(o),
];

export interface Beside {
  /** Settles when ablate and the helper are done: rejects when ablate fails (the helper's failure is only logged). */
  done: Promise<void>;
  /** Evaluate has every set: no helper is needed any more (one running is stopped; ablate goes on). */
  evaluateDone(): void;
  /** Stops whatever runs beside. */
  stop(): void;
}

/** Starts ablate beside evaluate, then the evaluate helper after it; see the top of this file. */
export function startBesideEvaluate(o: BesideOptions, start = startKadapterProcess): Beside {
  let current = start(ablateArgs(o), { role: 'run beside evaluate' });
  let helperWanted = true;
  let helper: ReturnType<typeof start> | null = null;
  const done = current.done.then(async () => {
    if (!helperWanted) return;
    helper = current = start(evaluateHelperArgs(o), { role: 'evaluate helper beside evaluate' });
    await helper.done.catch((e: Error) => {
      // Evaluate takes up every set the helper left unfinished: nothing is lost.
      if (helperWanted) process.stderr.write(`kadapter: ${e.message}; evaluate takes up its sets itself\n`);
    });
  });
  return {
    done,
    evaluateDone() {
      helperWanted = false;
      helper?.stop();
    },
    stop() {
      helperWanted = false;
      current.stop();
    },
  };
}
