// A task's downstream sets, resolved: each set's folder, where its labels come from, and the key its
// results and runs go under. A task whose sets are folders in its format (src/tasks/downstream)
// has eval.sets' list — its built sets by name, users' folders — and `--data-dir task=entry` names
// them on the command line; a task with one set of the build's own (the POS probe: the Brown
// sentences of the dependency data) has that.
import fs from 'node:fs';
import path from 'node:path';
import { folderSetDir, type SetEntry } from '../config/sets.ts';
import { FolderSet, type Config } from '../config/schema.ts';
import { setSplitFile } from '../data/layout.ts';
import { SPLITS } from '../data/schemas.ts';
import { isBlank } from '../data/formats.ts';
import { downstreamTask, downstreamTaskNames, type FolderSets, type SetProvenance } from '../tasks/downstream/index.ts';
import { ConfigError, UsageError } from '../util/errors.ts';
import { repoRoot } from '../util/paths.ts';

export interface DownstreamSet {
  /** The task's name (src/tasks/downstream). */
  task: string;
  name: string;
  provenance: SetProvenance;
  /** Absolute. */
  dir: string;
  /** Its results.json key and runs folder: the task for the task's first set, `<task>@<name>` for the others. */
  key: string;
  /** The task's first set: the one the data-efficiency curve and the ablations run on. */
  first: boolean;
}

/** Results key of a task's set. */
export const setKey = (task: string, name: string, first: boolean): string => (first ? task : `${task}@${name}`);

/** The registered tasks whose sets are folders, with their sets. */
const folderTasks = (): [string, FolderSets][] =>
  downstreamTaskNames().flatMap((name): [string, FolderSets][] => {
    const { sets } = downstreamTask(name);
    return sets.kind === 'folders' ? [[name, sets]] : [];
  });

/** The tasks whose sets are folders in their file format: the ones `--data-dir` and `evaluate --run` take. */
export const tasksWithFolderSets = (): string[] => folderTasks().map(([name]) => name);

/** Every built set's name, in the registered tasks' order: a folder set may not take one. */
const builtNames = (): string[] => [...new Set(folderTasks().flatMap(([, sets]) => Object.keys(sets.built)))];

/** `a, b and c`. */
const inWords = (xs: string[]) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);

const builtNameTaken = () => `${inWords(builtNames())} name the built sets; name the folder otherwise`;

/** The sets of a task, in the configured order. */
export function downstreamSets(config: Config, task: string): DownstreamSet[] {
  const { sets } = downstreamTask(task);
  const listed = config.eval.sets[task];
  if (sets.kind === 'build') {
    if (listed)
      throw new ConfigError(`eval.sets.${task}: ${task} is evaluated on the build's own ${sets.name} set, no other`);
    return [{ task, name: sets.name, provenance: sets.provenance, dir: sets.dir(config), key: task, first: true }];
  }
  if (!listed) throw new ConfigError(`eval.sets.${task}: the sets of ${task} are not given`);
  return listed.map((set, i): DownstreamSet => {
    const common = { task, name: set.name, key: setKey(task, set.name, i === 0), first: i === 0 };
    if ('dir' in set) {
      if (builtNames().includes(set.name)) throw new ConfigError(`eval.sets.${task}: ${builtNameTaken()}`);
      return { ...common, provenance: 'user', dir: folderSetDir(set) };
    }
    const built = sets.built[set.name];
    if (!built)
      throw new ConfigError(
        `eval.sets.${task}: ${set.name} is no built set of ${task} (${Object.keys(sets.built).join(', ')}) and names no folder`,
      );
    return { ...common, provenance: built.provenance, dir: built.dir(config) };
  });
}

/** One `--data-dir task=entry` value as a set of that task; a folder is resolved against `cwd`. */
export function parseSetEntry(task: string, entry: string, cwd = process.cwd()): SetEntry {
  const flag = `--data-dir ${task}=${entry}`;
  const tasks = folderTasks();
  const sets = tasks.find(([name]) => name === task)?.[1];
  if (!sets) throw new UsageError(`${flag}: the task is ${tasksWithFolderSets().join(' or ')}`);
  const built = Object.keys(sets.built);
  if (built.includes(entry)) return { name: entry };
  const other = tasks.find(([name, s]) => name !== task && entry in s.built);
  if (other)
    throw new UsageError(`${flag}: ${entry} is a set of ${other[0]}; ${task}'s built sets are ${built.join(', ')}`);
  // `name=folder` where the part before `=` could be a name; anything else is a folder.
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*)=(.+)$/.exec(entry);
  const dir = path.resolve(cwd, m ? m[2]! : entry);
  const set = FolderSet.safeParse({ name: m ? m[1]! : path.basename(dir), dir });
  const nameIt = `(give it one: ${task}=<name>=<folder>)`;
  if (!set.success) throw new UsageError(`${flag}: ${set.error.issues[0]!.message} ${nameIt}`);
  if (builtNames().includes(set.data.name)) throw new UsageError(`${flag}: ${builtNameTaken()} ${nameIt}`);
  return set.data;
}

/** Command-line sets by task: each given task's list replaces the profile's. */
export function parseSetEntries(entries: Record<string, string[]>, cwd?: string): Record<string, SetEntry[]> {
  return Object.fromEntries(
    Object.entries(entries).map(([task, list]) => [task, list.map((e) => parseSetEntry(task, e, cwd))]),
  );
}

/** The set's folder for reports: relative to the repository when inside it, else as it is. */
export function setSource(set: DownstreamSet): string {
  const relative = path.relative(repoRoot, set.dir);
  return relative && !relative.startsWith('..') ? relative : set.dir;
}

/**
 * Why a set's files cannot be read, or null: a built folder not there (an older build, a build
 * without the held-out part), a split file missing or empty. User folders' files were checked to
 * be there at start-up (src/config/sets.ts).
 */
export function setFilesProblem(config: Config, set: DownstreamSet): string | null {
  const { sets } = downstreamTask(set.task);
  if (sets.kind === 'build') return sets.filesProblem(config, setSource(set));
  if (!fs.existsSync(set.dir)) return `not built: no folder ${setSource(set)} (build-data makes it)`;
  const missing = SPLITS.filter((s) => setSplitFile(set.dir, s) === null);
  if (missing.length) return `no ${missing.join(', ')} file (.json or .jsonl) in ${setSource(set)}`;
  // A builder that found nothing for a split writes it empty (KBP on few sentences may find no relation).
  const blank = SPLITS.filter((s) => isBlank(setSplitFile(set.dir, s)!));
  return blank.length
    ? `the ${blank.join(', ')} split${blank.length > 1 ? 's are' : ' is'} empty in ${setSource(set)}`
    : null;
}
