// Work done in shards, each recorded when it is finished (shards/NNNNN.done.json: the inputs hash it
// was made for and every output file's size and sha256), so that a run killed at any moment — even
// by SIGKILL — resumes where it stopped, to byte-identical output: a finished shard is kept while
// its files match its marker, and done again (the log says why) when they do not. The one
// resume-by-chunk mechanism of the project: the data builders, the feature cache and `encode` use it.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readJsonFileIfExists } from './json-file.ts';
import { WrittenFile, writeFileAtomic, writeJsonlAtomic } from './jsonl.ts';
import { describeBytes, outputMismatch } from './manifest.ts';

const count = z.number().int().min(0);

/** dependency/shards/NNNNN.done.json: the shard is parsed and its outputs written. */
export const ShardDone = z.strictObject({
  inputsHash: z.string().min(1),
  outputs: z.array(WrittenFile),
  skipped: z.record(z.string(), count),
  seconds: z.number().min(0),
});
export type ShardDone = z.infer<typeof ShardDone>;

export const shardName = (k: number): string => String(k).padStart(5, '0');

const markerOf = (dir: string, k: number) => path.join(dir, 'shards', `${shardName(k)}.done.json`);

/** A file of a shard, written whole: JSON Lines rows, or its bytes as they are. */
export type ShardFile = { file: string; rows: unknown[] } | { file: string; bytes: Buffer | string };

/** What one shard made: its files (paths relative to the stage folder) and its skips by reason. */
export interface ShardWork {
  outputs: ShardFile[];
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
    const outputs = result.outputs.map((out) => writeShardFile(o.dir, out));
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

function writeShardFile(dir: string, out: ShardFile): WrittenFile {
  const file = path.join(dir, out.file);
  if ('rows' in out) return { ...writeJsonlAtomic(file, out.rows), file: out.file };
  const bytes = typeof out.bytes === 'string' ? Buffer.from(out.bytes, 'utf8') : out.bytes;
  writeFileAtomic(file, bytes);
  return describeBytes(out.file, bytes);
}

/** Skips by reason summed over shards. */
export function skippedOf(done: ShardDone[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of done) for (const [r, n] of Object.entries(d.skipped)) out[r] = (out[r] ?? 0) + n;
  return out;
}
