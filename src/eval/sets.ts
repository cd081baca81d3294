// A task's downstream sets (eval.sets), resolved: each set's folder, where its labels come from,
// and the key its results and runs go under. The POS probe has one
// set, the Brown sentences of the dependency data.
import fs from 'node:fs';
import path from 'node:path';
import { folderSetDir } from '../config/sets.ts';
import type { BUILT_SETS, Config, SetTask } from '../config/schema.ts';
import type { SetProvenance } from '../data/files.ts';
import {
  dependencyDir,
  dependencySplitFiles,
  kbpRelationDir,
  kgRelationDir,
  kgTypingDir,
  nerTypingDir,
  setSplitFile,
} from '../data/layout.ts';
import { SPLITS } from '../data/schemas.ts';
import { repoRoot } from '../util/paths.ts';
import { isBlank } from './formats.ts';
import type { DownstreamTask } from './tasks.ts';

export interface DownstreamSet {
  task: DownstreamTask;
  name: string;
  provenance: SetProvenance;
  /** Absolute. */
  dir: string;
  /** Its results.json key and runs folder: the task for the task's first set, `<task>@<name>` for the others. */
  key: string;
  /** The task's first set: the one the data-efficiency curve and the ablations run on. */
  first: boolean;
}

type BuiltSetName = (typeof BUILT_SETS)[SetTask][number];

/** The folder and provenance of each built set, by name. */
const BUILT: Record<BuiltSetName, { provenance: SetProvenance; dir: (c: Config, task: DownstreamTask) => string }> = {
  kg: {
    provenance: 'kg-distant-supervision',
    dir: (c, task) => (task === 'relation' ? kgRelationDir(c) : kgTypingDir(c)),
  },
  ner: { provenance: 'corenlp-ner', dir: nerTypingDir },
  kbp: { provenance: 'corenlp-kbp', dir: kbpRelationDir },
};

/** Results key of a task's set. */
export const setKey = (task: string, name: string, first: boolean): string => (first ? task : `${task}@${name}`);

/** The sets of a task, in the configured order. */
export function downstreamSets(config: Config, task: DownstreamTask): DownstreamSet[] {
  if (task === 'pos')
    return [{ task, name: 'brown', provenance: 'brown-gold', dir: dependencyDir(config), key: 'pos', first: true }];
  return config.eval.sets[task].map((set, i): DownstreamSet => {
    const common = { task, name: set.name, key: setKey(task, set.name, i === 0), first: i === 0 };
    if ('dir' in set) return { ...common, provenance: 'user', dir: folderSetDir(set) };
    const built = BUILT[set.name];
    return { ...common, provenance: built.provenance, dir: built.dir(config, task) };
  });
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
  if (set.task === 'pos')
    return SPLITS.some((s) => dependencySplitFiles(config, s).length === 0)
      ? `no dependency split files in ${setSource(set)} (build-data --part dependency)`
      : null;
  if (!fs.existsSync(set.dir)) return `not built: no folder ${setSource(set)} (build-data makes it)`;
  const missing = SPLITS.filter((s) => setSplitFile(set.dir, s) === null);
  if (missing.length) return `no ${missing.join(', ')} file (.json or .jsonl) in ${setSource(set)}`;
  // A builder that found nothing for a split writes it empty (KBP on few sentences may find no relation).
  const blank = SPLITS.filter((s) => isBlank(setSplitFile(set.dir, s)!));
  return blank.length
    ? `the ${blank.join(', ')} split${blank.length > 1 ? 's are' : ' is'} empty in ${setSource(set)}`
    : null;
}
