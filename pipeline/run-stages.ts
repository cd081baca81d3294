// Running stages in order (a stage's command, or `pipeline`): each under the lock of the folder it
// writes, and ablate beside evaluate in a process of its own where there is a second core.
import { loadConfig } from '../src/config/load.ts';
import { parseSetEntries } from '../src/eval/sets.ts';
import { withLock } from '../src/util/lock.ts';
import { ablateBesideEvaluate, startBesideEvaluate, type Beside } from './beside.ts';
import { threadsEach } from './child-process.ts';
import type { CommonOptions } from './cli-options.ts';
import { DATA_PARTS, type DataPart, type Stage } from './stages.ts';
import type { AdapterName } from './train.ts';

export async function runStages(
  stages: Stage[],
  opts: CommonOptions & {
    force?: boolean;
    input?: string[];
    part?: DataPart[];
    baseModel?: string;
    adapter?: AdapterName[];
    protocol?: string;
    dataDir?: Record<string, string[]>;
  },
): Promise<void> {
  const config = loadConfig({
    profile: opts.profile,
    baseModel: opts.baseModel,
    protocol: opts.protocol,
    sets: parseSetEntries(opts.dataDir ?? {}),
  });
  // With a second core, ablate runs beside evaluate in its own process, then an evaluate helper (pipeline/beside.ts).
  const besideWanted = ablateBesideEvaluate(stages);
  // Before any stage starts TensorFlow in this process (train's feature caches, then evaluate):
  // from train on, two processes share the cores, each with its share of intra-op threads.
  if (besideWanted) process.env.TF_NUM_INTRAOP_THREADS ??= String(threadsEach(2));
  let beside: Beside | null = null;
  try {
    for (const s of stages) {
      if (besideWanted && s.name === 'ablate') {
        if (beside) await beside.done;
        beside = null;
        continue;
      }
      process.stderr.write(`kadapter: stage ${s.name} (profile ${config.profile})\n`);
      if (besideWanted && s.name === 'evaluate') {
        process.stderr.write(
          `kadapter: stage ablate (profile ${config.profile}) runs beside evaluate, in its own process\n`,
        );
        beside = startBesideEvaluate({ ...opts, profile: config.profile });
        beside.done.catch(() => undefined); // awaited after evaluate; its failure is reported then
      }
      // One writer per folder (Stage.folder): a second run stops here, before any service or file is touched.
      const { dir, what } = s.folder(config);
      await withLock(dir, { what, command: ['kadapter', ...process.argv.slice(2)].join(' ') }, () =>
        s.run(config, {
          force: opts.force ?? false,
          inputs: opts.input ?? [],
          parts: opts.part ?? [...DATA_PARTS],
          adapters: opts.adapter,
        }),
      );
      if (s.name === 'evaluate') beside?.evaluateDone();
    }
  } catch (err) {
    if (beside) {
      process.stderr.write('kadapter: stopping the ablate run beside evaluate\n');
      beside.stop();
      await beside.done.catch(() => undefined);
    }
    throw err;
  }
}
