// A downstream set as the command line names it (`--data-dir task=entry`), into eval.sets' shape:
//   kg | ner | kbp      a set build-data makes (the task's own: ner is entity typing's, kbp relations')
//   name=folder         a user's folder under that name
//   folder              a user's folder named after its last path part
// and the check that every folder set has its three splits, so that a mistyped path stops the
// command before anything runs.
import fs from 'node:fs';
import path from 'node:path';
import { setSplitFile } from '../data/layout.ts';
import { SPLITS } from '../data/schemas.ts';
import { UsageError, UserError } from '../util/errors.ts';
import { repoRoot } from '../util/paths.ts';
import { BUILT_SETS, FolderSet, SET_TASKS, type Config, type SetTask } from './schema.ts';

export type SetEntry = Config['eval']['sets'][SetTask][number];

const isSetTask = (task: string): task is SetTask => (SET_TASKS as readonly string[]).includes(task);

/** One `--data-dir task=entry` value as a set of that task; a folder is resolved against `cwd`. */
export function parseSetEntry(task: string, entry: string, cwd = process.cwd()): SetEntry {
  const flag = `--data-dir ${task}=${entry}`;
  if (!isSetTask(task)) throw new UsageError(`${flag}: the task is ${SET_TASKS.join(' or ')}`);
  const built: readonly string[] = BUILT_SETS[task];
  // One of this task's built names (checked just now).
  if (built.includes(entry)) return { name: entry } as SetEntry;
  const other = SET_TASKS.find((t) => t !== task && (BUILT_SETS[t] as readonly string[]).includes(entry));
  if (other)
    throw new UsageError(`${flag}: ${entry} is a set of ${other}; ${task}'s built sets are ${built.join(', ')}`);
  // `name=folder` where the part before `=` could be a name; anything else is a folder.
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*)=(.+)$/.exec(entry);
  const dir = path.resolve(cwd, m ? m[2]! : entry);
  const set = FolderSet.safeParse({ name: m ? m[1]! : path.basename(dir), dir });
  if (!set.success)
    throw new UsageError(`${flag}: ${set.error.issues[0]!.message} (give it one: ${task}=<name>=<folder>)`);
  return set.data;
}

/** Command-line sets by task: each given task's list replaces the profile's. */
export function parseSetEntries(entries: Record<string, string[]>, cwd?: string): Partial<Record<SetTask, SetEntry[]>> {
  return Object.fromEntries(
    Object.entries(entries).map(([task, list]) => [task, list.map((e) => parseSetEntry(task, e, cwd))]),
  );
}

/** The folder of a user's set: absolute as given, else relative to the repository (the profiles' fixtures). */
export const folderSetDir = (set: FolderSet): string => path.resolve(repoRoot, set.dir);

/** Every folder set of the evaluated tasks has train, dev and test: one line naming what is missing. */
export function checkFolderSets(config: Config): void {
  for (const task of SET_TASKS) {
    if (!config.eval.tasks.includes(task) && !config.eval.ablate.tasks.includes(task)) continue;
    for (const set of config.eval.sets[task]) {
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
