// Rebuilding a stage's folder without losing the finished one: the new build goes into a sibling
// folder (`<dir>.new`), and only when it is complete does it take the old one's place (two
// renames; the old folder is then removed). A swap cut between its two renames is finished by
// the next run (recoverReplace).
import fs from 'node:fs';
import path from 'node:path';
import { removeStaleTemps } from './jsonl.ts';
import { readManifest } from './manifest.ts';

/** The sibling folder a rebuild of `dir` is written into. */
export function besideDir(dir: string): string {
  return `${dir}.new`;
}

const oldDir = (dir: string) => `${dir}.old-${process.pid}`;

/** Puts the complete build in `fresh` in the place of `dir` (which may not exist). */
export function replaceDir(fresh: string, dir: string): void {
  const old = oldDir(dir);
  fs.rmSync(old, { recursive: true, force: true });
  const had = fs.existsSync(dir);
  if (had) fs.renameSync(dir, old);
  try {
    fs.renameSync(fresh, dir);
  } catch (e) {
    if (had) fs.renameSync(old, dir);
    throw e;
  }
  fs.rmSync(old, { recursive: true, force: true });
}

/**
 * After a swap cut short: `dir` gone and its complete rebuild beside it → the rebuild takes its
 * place. Old folders left by a finished swap are removed. Returns what was done, for the log.
 */
export function recoverReplace(dir: string): string | null {
  const beside = besideDir(dir);
  let done: string | null = null;
  if (!fs.existsSync(dir) && fs.existsSync(beside) && readManifest(beside)?.complete) {
    fs.renameSync(beside, dir);
    done = `${dir}: finished an interrupted swap (its complete rebuild took its place)`;
  }
  const parent = path.dirname(dir);
  const stale = `${path.basename(dir)}.old-`;
  for (const name of fs.existsSync(parent) ? fs.readdirSync(parent) : []) {
    if (name.startsWith(stale)) fs.rmSync(path.join(parent, name), { recursive: true, force: true });
  }
  return done;
}

/**
 * Where a stage that resumes builds: an unfinished build of the same inputs where it is (in place,
 * or a rebuild beside); else a fresh one, beside the existing folder, which stays untouched until
 * the new one is complete. `fresh`: nothing there is to be kept.
 */
export function resumableBuildDir(
  target: string,
  resumable: (dir: string) => boolean,
): { dir: string; fresh: boolean } {
  const beside = besideDir(target);
  const dir = resumable(target) ? target : resumable(beside) ? beside : fs.existsSync(target) ? beside : target;
  return { dir, fresh: !resumable(dir) };
}

/**
 * Readies the build folder, once the services answer (only then is anything removed, and only a
 * leftover of an earlier rebuild): a fresh one emptied; the temp files a killed or failed run left
 * removed, so that a resumed run starts clean.
 */
export function openBuildDir(dir: string, fresh: boolean, what: string, log: (line: string) => void): void {
  if (fresh) fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const stale = removeStaleTemps(dir);
  if (stale > 0) log(`${what}: removed ${stale} temp file(s) left by an earlier run`);
}
