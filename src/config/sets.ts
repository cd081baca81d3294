// The downstream sets of eval.sets that are users' folders: where each lies, and the check that
// every one has its three splits, so that a mistyped path stops the command before anything runs.
// (`--data-dir task=entry` is read into eval.sets' shape by src/eval/sets.ts, which knows each
// task's built sets.)
import fs from 'node:fs';
import path from 'node:path';
import { setSplitFile } from '../data/layout.ts';
import { SPLITS } from '../data/schemas.ts';
import { UserError } from '../util/errors.ts';
import { repoRoot } from '../util/paths.ts';
import type { Config, FolderSet } from './schema.ts';

/** One set of a task in eval.sets: a built one by name, or a user's folder. */
export type SetEntry = Config['eval']['sets'][string][number];

/** The folder of a user's set: absolute as given, else relative to the repository (the profiles' fixtures). */
export const folderSetDir = (set: FolderSet): string => path.resolve(repoRoot, set.dir);

/** Every folder set of the evaluated tasks has train, dev and test: one line naming what is missing. */
export function checkFolderSets(config: Config): void {
  for (const [task, sets] of Object.entries(config.eval.sets)) {
    if (!config.eval.tasks.includes(task) && !config.eval.ablate.tasks.includes(task)) continue;
    for (const set of sets) {
      if (!('dir' in set)) continue;
      const dir = folderSetDir(set);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
        throw new UserError(`${task} set ${set.name}: no folder ${dir}`);
      const missing = SPLITS.filter((split) => setSplitFile(dir, split) === null);
      if (missing.length)
        throw new UserError(`${task} set ${set.name}: no ${missing.map((s) => `${s}.json(l)`).join(', ')} in ${dir}`);
    }
  }
}
