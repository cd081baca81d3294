// A set's evaluation is kept when it finishes: runs/<set key>/set-result.json holds its result and
// the fingerprint of everything the result depends on. A rerun of evaluate — after a kill, or with a
// set added — reuses the sets whose fingerprint is unchanged and computes only the others.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { TaskResult } from './results-schema.ts';
import { readJsonFileIfExists } from '../util/json-file.ts';
import { writeFileAtomic } from '../util/jsonl.ts';
import { hashOf } from '../util/manifest.ts';
import type { TaskExample } from '../tasks/downstream/index.ts';

/**
 * Bumped whenever what a set's result holds, or how it is computed (task layers, scoring,
 * bootstrap), changes: results of older code are then recomputed, never read.
 */
export const SET_RESULT_FORMAT = 1;

export const SET_RESULT_FILE = 'set-result.json';

const SetResultFile = z.strictObject({ format: z.number().int(), fingerprint: z.string(), result: TaskResult });

/** What a set's result depends on; the caller lists it, this hashes it with the code's format. */
export interface SetInputs {
  /** The evaluation settings that shape runs (epochs, seeds, caps, rates…), the list of sets excluded. */
  settings: unknown;
  protocol: string;
  backend: string;
  /** The rows, and the content identity of every component their vectors come from, per base. */
  rows: unknown;
  components: Record<string, string[]>;
  /** Each base's weights (sha256), by row base. */
  bases: Record<string, string | null>;
  labels: string[];
  splits: Record<string, TaskExample[]>;
}

export function setFingerprint(inputs: SetInputs): string {
  const { splits, ...rest } = inputs;
  const examples = Object.fromEntries(
    Object.entries(splits).map(([split, xs]) => [split, hashOf(xs.map((e) => [e.id, e.ids, e.positions, e.gold]))]),
  );
  return hashOf({ format: SET_RESULT_FORMAT, ...rest, examples });
}

/** The kept result of a set's evaluation when its fingerprint matches, else null. */
export function readSetResult(runsDir: string, fingerprint: string): TaskResult | null {
  const file = path.join(runsDir, SET_RESULT_FILE);
  let kept;
  try {
    kept = readJsonFileIfExists(file, SetResultFile);
  } catch {
    return null; // unreadable (an older schema): computed again
  }
  if (!kept || kept.format !== SET_RESULT_FORMAT || kept.fingerprint !== fingerprint) return null;
  return kept.result;
}

/** Before a set is computed: its old result goes, so a run killed halfway leaves none to reuse. */
/** Whether the kept result was written at or after `ms` (epoch ms): by a process beside this run. */
export const keptSince = (runsDir: string, ms: number): boolean =>
  fs.statSync(path.join(runsDir, SET_RESULT_FILE)).mtimeMs >= ms;

export function forgetSetResult(runsDir: string): void {
  fs.rmSync(path.join(runsDir, SET_RESULT_FILE), { force: true });
}

export function writeSetResult(runsDir: string, fingerprint: string, result: TaskResult): void {
  fs.mkdirSync(runsDir, { recursive: true });
  const file = { format: SET_RESULT_FORMAT, fingerprint, result };
  writeFileAtomic(path.join(runsDir, SET_RESULT_FILE), `${JSON.stringify(file)}\n`);
}
