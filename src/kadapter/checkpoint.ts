// Training checkpoints (weights, optimizer state, log position) swapped in whole, and the run's
// metrics log, cut back to a checkpoint when a run resumes from it.
import fs from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { parseJsonText, readJsonFile } from '../util/json-file.ts';
import { writeFileAtomic } from '../util/jsonl.ts';
import { DevMetrics } from './dev-eval.ts';
import type { AdamW } from './optim.ts';
import { openSafetensors, writeSafetensors } from './safetensors.ts';

const count = z.number().int().min(0);

/** <run>/checkpoint/state.json, beside state.safetensors. */
export const CheckpointState = z.strictObject({
  /** Hash of what the run trains; a checkpoint of another config is not resumed. */
  configHash: z.string().min(1),
  step: count,
  dev: z.array(DevMetrics),
  seconds: z.number().min(0),
  /** The train loss accumulated since the last log line, so a resumed log is the same. */
  lossAcc: z.number(),
  lossCount: count,
});
export type CheckpointState = z.infer<typeof CheckpointState>;

export function writeCheckpoint(
  dir: string,
  params: Record<string, tf.Variable>,
  opt: AdamW,
  meta: CheckpointState,
): void {
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    fs.mkdirSync(tmp, { recursive: true });
    const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const [n, p] of Object.entries(params))
      tensors[`param.${n}`] = { dtype: 'F32', shape: p.shape, data: p.dataSync() as Float32Array };
    for (const [n, t] of Object.entries(opt.state()))
      tensors[`opt.${n}`] = { dtype: 'F32', shape: t.shape, data: t.dataSync() as Float32Array };
    writeSafetensors(path.join(tmp, 'state.safetensors'), tensors);
    writeFileAtomic(path.join(tmp, 'state.json'), `${JSON.stringify(meta, null, 2)}\n`);
  } catch (err) {
    // A failed write (disk full) leaves no half checkpoint behind.
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  // Swap in whole: the old checkpoint goes only once the new one is complete.
  const old = `${dir}.old`;
  fs.rmSync(old, { recursive: true, force: true });
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  fs.rmSync(old, { recursive: true, force: true });
}

export function readCheckpoint(dir: string): { meta: CheckpointState; tensors: Record<string, Float32Array> } | null {
  // A kill between the two renames leaves the previous checkpoint as .old: use it.
  for (const d of [dir, `${dir}.old`]) {
    const metaFile = path.join(d, 'state.json');
    const stFile = path.join(d, 'state.safetensors');
    if (!fs.existsSync(metaFile) || !fs.existsSync(stFile)) continue;
    const meta = readJsonFile(metaFile, CheckpointState);
    const st = openSafetensors(stFile);
    const tensors: Record<string, Float32Array> = {};
    for (const n of st.tensors.keys()) tensors[n] = st.read(n);
    return { meta, tensors };
  }
  return null;
}

export function appendMetrics(file: string, row: Record<string, unknown>): void {
  fs.appendFileSync(file, `${JSON.stringify(row)}\n`);
}

const LoggedStep = z.looseObject({ step: z.number().int() });

/** Drops log lines written after the checkpoint a run resumes from (they will be written again). */
export function truncateMetrics(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  // A kill mid-append can leave a partial last line: it goes with the rest past the checkpoint.
  const stepOf = (l: string, i: number) => {
    try {
      return parseJsonText(l, LoggedStep, `${file}:${i + 1}`).step;
    } catch {
      return Infinity;
    }
  };
  const keep = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l, i) => l.length > 0 && stepOf(l, i) <= step);
  writeFileAtomic(file, keep.map((l) => `${l}\n`).join(''));
}
