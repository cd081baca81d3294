// Work done in shards, each recorded when it is finished (shards/NNNNN.done.json: the inputs hash it
// was made for and every output file's size and sha256), so that a run killed at any moment — even
// by SIGKILL — resumes where it stopped, to byte-identical output: a finished shard is kept while
// its files match its marker, and done again (the log says why) when they do not.
import fs from 'node:fs';
import path from 'node:path';
import { ShardDone } from '../data/files.ts';
import { readJsonFileIfExists } from './json-file.ts';
import { writeFileAtomic, writeJsonlAtomic, type WrittenFile } from './jsonl.ts';
import { outputMismatch } from './manifest.ts';

export const shardName = (k: number): string => String(k).padStart(5, '0');

const markerOf = (dir: string, k: number) => path.join(dir, 'shards', `${shardName(k)}.done.json`);

/** What one shard made: its files (paths relative to the stage folder) and its skips by reason. */
export interface ShardWork {
  outputs: { file: string; rows: unknown[] }[];
  skipped: Record<string, number>;
}

export interface ShardRun<T> {
  /** The stage folder: outputs and markers are relative to it. */
  dir: string;
  /** What the shards are made from; a marker of another hash is not a finished shard. */
  inputsHash: string;
  /** Items per shard: the unit of resumption. */
  shardSize: number;
  /** The stage's name in log lines ("dependency data"). */
  what: string;
  log: (line: string) => void;
  work: (slice: T[], k: number) => Promise<ShardWork>;
  /** After each shard: the items read so far. */
  onShard?: (items: number) => void;
}

export interface ShardsDone {
  /** Every shard's marker, in order, with its outputs as they are on disk. */
  done: ShardDone[];
  items: number;
  /** Items of the shards made by this run (the others were finished before). */
  itemsRunNow: number;
}

/** Whether `dir` holds finished shards of this inputs hash: a build to resume rather than redo. */
export function hasShardsOf(dir: string, inputsHash: string): boolean {
  return readJsonFileIfExists(markerOf(dir, 0), ShardDone)?.inputsHash === inputsHash;
}

/** Runs `work` over `items` in shards of `shardSize`, in order, keeping the shards already finished. */
export async function runShards<T>(items: AsyncIterable<T> | Iterable<T>, o: ShardRun<T>): Promise<ShardsDone> {
  const done: ShardDone[] = [];
  let count = 0;
  let itemsRunNow = 0;
  const runShard = async (k: number, slice: T[]) => {
    const doneFile = markerOf(o.dir, k);
    const previous = readJsonFileIfExists(doneFile, ShardDone);
    if (previous?.inputsHash === o.inputsHash) {
      // A finished shard is kept only if its files are exactly as its marker records them; the
      // manifest then takes them as they are.
      const actual: WrittenFile[] = [];
      const mismatch = previous.outputs
        .map((out) => outputMismatch(o.dir, out, (f) => actual.push(f)))
        .find((m) => m !== null);
      if (mismatch === undefined) {
        done.push({ ...previous, outputs: actual });
        return;
      }
      o.log(`${o.what}: shard ${shardName(k)} does not match its marker (${mismatch}), making it again`);
      fs.rmSync(doneFile);
      for (const out of previous.outputs) fs.rmSync(path.join(o.dir, out.file), { force: true });
    }
    const t0 = performance.now();
    const result = await o.work(slice, k);
    const outputs = result.outputs.map(({ file, rows }) => ({
      ...writeJsonlAtomic(path.join(o.dir, file), rows),
      file,
    }));
    const record: ShardDone = {
      inputsHash: o.inputsHash,
      outputs,
      skipped: result.skipped,
      seconds: (performance.now() - t0) / 1000,
    };
    writeFileAtomic(doneFile, `${JSON.stringify(record, null, 2)}\n`);
    done.push(record);
    itemsRunNow += slice.length;
  };
  let slice: T[] = [];
  for await (const item of items) {
    slice.push(item);
    count++;
    if (slice.length === o.shardSize) {
      await runShard(done.length, slice);
      slice = [];
      o.onShard?.(count);
    }
  }
  if (slice.length > 0) await runShard(done.length, slice);
  o.onShard?.(count);
  return { done, items: count, itemsRunNow };
}

/** Skips by reason summed over shards. */
export function skippedOf(done: ShardDone[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of done) for (const [r, n] of Object.entries(d.skipped)) out[r] = (out[r] ?? 0) + n;
  return out;
}
