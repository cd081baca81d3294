// `kadapter encode` as a library function: a file of inputs into a file of vectors, streamed and
// batched, resumable. Work goes into `<out>.partial/` one chunk at a time (each part written whole,
// atomically); a killed run resumes after the last complete part, and only when its settings are
// the same. The parts become `<out>` at the end, in one atomic rename.
//
// Input: text (a non-empty line each) or JSON Lines ({"text"} or {"words"}, with an optional "id").
// Output by extension:
//   .jsonl          a line per input: {index, line, id?, tokens, truncated, vector | vectors, firstSubword?}
//   .safetensors    `vectors` F32 [inputs, width] (pooled) or [tokens, width] with `offsets` I64
//                   [inputs + 1] (pool none); metadata: base, adapters, combine, pool; beside it
//                   <out>.index.jsonl: {index, line, id?, tokens, truncated}
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { z } from 'zod';
import { baseWeightsSha256 } from '../kadapter/base-model.ts';
import { openSafetensors, safetensorsBytes, safetensorsHeader, type HeaderEntry } from '../kadapter/safetensors.ts';
import { UserError } from '../util/errors.ts';
import { readJsonFile, readJsonFileIfExists } from '../util/json-file.ts';
import { fsyncDir, sha256File, writeFileAtomic } from '../util/jsonl.ts';
import { hashOf } from '../util/manifest.ts';
import { runShards, type ShardFile } from '../util/shards.ts';
import type { Composition } from './compose.ts';
import { encode, type EncodedInput, type EncodeInput, type Pooling } from './encode.ts';

export interface EncodeFileOptions {
  input: string;
  out: string;
  pool: Pooling;
  maxLength?: number;
  batchTokens?: number;
  /** Inputs per part (the unit of resume). */
  chunkSize?: number;
  /** Start over even when an unfinished run with other settings is there. */
  force?: boolean;
  /** Inputs done so far, of the file's non-empty lines. */
  onProgress?: (done: number, total: number) => void;
}

export interface EncodeFileSummary {
  out: string;
  inputs: number;
  /** Inputs encoded in an earlier, interrupted run and kept. */
  resumed: number;
  truncated: number;
  skipped: Record<string, number>;
  width: number;
  format: 'jsonl' | 'safetensors';
}

interface Item {
  line: number;
  id?: string | number;
  input: EncodeInput;
}

const Id = z.union([z.string(), z.number()]).optional();
const TextInput = z.looseObject({ id: Id, text: z.string().min(1) });
const WordsInput = z.looseObject({ id: Id, words: z.array(z.string()).min(1) });

const bump = (skipped: Record<string, number>, why: string) => (skipped[why] = (skipped[why] ?? 0) + 1);

/** A line as read: without the UTF-8 byte order mark an editor may put before the first. */
const stripBom = (line: string) => (line.charCodeAt(0) === 0xfeff ? line.slice(1) : line);

/**
 * Whether the input is JSON Lines: its first non-blank line parses as a JSON object. A text whose
 * first sentence starts with "{" is still text.
 */
async function isJsonLines(file: string): Promise<boolean> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  try {
    for await (const raw of lines) {
      const line = stripBom(raw).trim();
      if (line.length === 0) continue;
      try {
        const v: unknown = JSON.parse(line);
        return typeof v === 'object' && v !== null && !Array.isArray(v);
      } catch {
        return false;
      }
    }
    return false;
  } finally {
    lines.close();
  }
}

async function* readInputs(file: string, skipped: Record<string, number>): AsyncGenerator<Item> {
  const json = await isJsonLines(file);
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  for await (const read of lines) {
    const raw = line === 0 ? stripBom(read) : read;
    line++;
    if (raw.trim().length === 0) {
      bump(skipped, 'empty line');
      continue;
    }
    if (!json) {
      yield { line, input: raw };
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      bump(skipped, 'malformed JSON line');
      continue;
    }
    const text = TextInput.safeParse(value);
    const words = text.success ? null : WordsInput.safeParse(value);
    const id = text.success ? text.data.id : words?.success ? words.data.id : undefined;
    const input: EncodeInput | null = text.success
      ? text.data.text
      : words?.success
        ? { words: words.data.words }
        : null;
    if (input === null) {
      bump(skipped, 'JSON line without "text" or "words"');
      continue;
    }
    yield { line, ...(id !== undefined ? { id } : {}), input };
  }
}

async function countInputs(file: string): Promise<number> {
  let n = 0;
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const raw of lines) if (raw.trim().length > 0) n++;
  return n;
}

const Settings = z.looseObject({ key: z.string() });

function partName(k: number, ext: string): string {
  return `part-${String(k).padStart(6, '0')}.${ext}`;
}

/** What an input's line records besides its vectors. */
function indexLine(index: number, item: Item, e: EncodedInput) {
  return {
    index,
    line: item.line,
    ...(item.id !== undefined ? { id: item.id } : {}),
    tokens: e.ids.length,
    truncated: e.truncated,
  };
}

export async function encodeFile(comp: Composition, o: EncodeFileOptions): Promise<EncodeFileSummary> {
  if (!fs.existsSync(o.input)) throw new UserError(`${o.input}: no such file`);
  // Read more than once (its kind, its count for progress, its inputs) and keyed by size for resume.
  if (!fs.statSync(o.input).isFile())
    throw new UserError(`${o.input}: not a regular file (a pipe cannot be resumed); write it to a file first`);
  const format = o.out.endsWith('.safetensors') ? 'safetensors' : o.out.endsWith('.jsonl') ? 'jsonl' : null;
  if (format === null) throw new UserError(`--out ${o.out}: name a .safetensors or a .jsonl file`);
  const chunkSize = o.chunkSize ?? 1024;
  const partial = `${o.out}.partial`;
  const stat = fs.statSync(o.input);
  const key = hashOf({
    input: path.resolve(o.input),
    size: stat.size,
    mtime: stat.mtimeMs,
    base: baseWeightsSha256(comp.base),
    components: comp.names,
    adapters: [...comp.folders.keys()].map((d) => sha256File(path.join(d, 'adapter.safetensors'))),
    combine: comp.combine,
    pool: o.pool,
    maxLength: o.maxLength ?? null,
    chunkSize,
    format,
  });
  const settingsFile = path.join(partial, 'settings.json');
  const previous = readJsonFileIfExists(settingsFile, Settings);
  if (previous && previous.key !== key) {
    if (!o.force)
      throw new UserError(
        `${partial} holds an unfinished encode with other settings or input; pass --force to start over, or remove it`,
      );
    fs.rmSync(partial, { recursive: true, force: true });
  }
  fs.mkdirSync(partial, { recursive: true });
  writeFileAtomic(settingsFile, JSON.stringify({ key, input: o.input, pool: o.pool, combine: comp.combine }));
  const skipped: Record<string, number> = {};
  const total = await countInputs(o.input);
  o.onProgress?.(0, total);
  const { done, items, itemsRunNow } = await runShards(readInputs(o.input, skipped), {
    dir: partial,
    inputsHash: key,
    shardSize: chunkSize,
    what: 'encode',
    log: (line) => process.stderr.write(`${line}\n`),
    onShard: (n) => o.onProgress?.(n, total),
    work: async (slice, k) => {
      const chunk = await encode(
        comp,
        slice.map((item) => item.input),
        o,
      );
      return { outputs: partFiles(k, k * chunkSize, format, o.pool, comp.width, chunk, slice), skipped: {} };
    },
  });
  if (items === 0) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw new UserError(`${o.input}: no input to encode (${JSON.stringify(skipped)})`);
  }
  const summary = assemble(partial, done.length, format, o, comp);
  fs.rmSync(partial, { recursive: true, force: true });
  return {
    ...summary,
    inputs: items,
    resumed: items - itemsRunNow,
    skipped,
    width: comp.width,
    format,
    truncated: summary.truncated,
  };
}

/** A part's files: its vectors, then its index. */
function partFiles(
  k: number,
  first: number,
  format: 'jsonl' | 'safetensors',
  pool: Pooling,
  width: number,
  chunk: EncodedInput[],
  items: Item[],
): ShardFile[] {
  const index = chunk.map((e, i) => indexLine(first + i, items[i]!, e));
  const indexFile = { file: partName(k, 'json'), bytes: JSON.stringify(index) };
  if (format === 'jsonl') {
    const lines = chunk.map((e, i) => {
      const v = Array.from(e.vector);
      const vector = pool === 'none' ? { vectors: rowsOf(v, width) } : { vector: v };
      return JSON.stringify({ ...index[i], ...(e.firstSubword ? { firstSubword: e.firstSubword } : {}), ...vector });
    });
    return [{ file: partName(k, 'jsonl'), bytes: `${lines.join('\n')}\n` }, indexFile];
  }
  const rows = chunk.reduce((n, e) => n + e.vector.length / width, 0);
  const data = new Float32Array(rows * width);
  let at = 0;
  for (const e of chunk) {
    data.set(e.vector, at);
    at += e.vector.length;
  }
  const vectors = safetensorsBytes({ vectors: { dtype: 'F32', shape: [rows, width], data } });
  return [{ file: partName(k, 'safetensors'), bytes: vectors }, indexFile];
}

const rowsOf = (v: number[], width: number) =>
  Array.from({ length: v.length / width }, (_, r) => v.slice(r * width, (r + 1) * width));

const IndexPart = z.array(z.looseObject({ tokens: z.number().int(), truncated: z.boolean() }));
const readIndexPart = (file: string) => readJsonFile(file, IndexPart);

/** The parts into <out> (and the index beside a .safetensors), each written through a temp file. */
function assemble(
  partial: string,
  parts: number,
  format: 'jsonl' | 'safetensors',
  o: EncodeFileOptions,
  comp: Composition,
): { out: string; truncated: number } {
  let truncated = 0;
  const indexes = Array.from({ length: parts }, (_, k) => {
    const index = readIndexPart(path.join(partial, partName(k, 'json')));
    truncated += index.filter((r) => r.truncated).length;
    return index;
  });
  const tmp = `${o.out}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    if (format === 'jsonl') {
      for (let k = 0; k < parts; k++) fs.writeSync(fd, fs.readFileSync(path.join(partial, partName(k, 'jsonl'))));
    } else {
      writeAssembledSafetensors(fd, partial, parts, indexes, o.pool, comp);
      const lines = indexes.flat().map((r) => `${JSON.stringify(r)}\n`);
      writeFileAtomic(`${o.out}.index.jsonl`, lines.join(''));
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, o.out);
  fsyncDir(path.dirname(path.resolve(o.out)));
  return { out: o.out, truncated };
}

function writeAssembledSafetensors(
  fd: number,
  partial: string,
  parts: number,
  indexes: z.infer<typeof IndexPart>[],
  pool: Pooling,
  comp: Composition,
): void {
  const all = indexes.flat();
  const rows = pool === 'none' ? all.reduce((n, r) => n + r.tokens, 0) : all.length;
  const vectorBytes = rows * comp.width * 4;
  const entries: [string, HeaderEntry][] = [
    ['vectors', { dtype: 'F32', shape: [rows, comp.width], bytes: vectorBytes }],
  ];
  if (pool === 'none')
    entries.push(['offsets', { dtype: 'I64', shape: [all.length + 1], bytes: (all.length + 1) * 8 }]);
  const metadata = {
    format: 'kadapter-encode/1',
    base: comp.base.name,
    base_sha256: baseWeightsSha256(comp.base),
    components: comp.names.join(','),
    combine: comp.combine,
    pool,
  };
  fs.writeSync(fd, safetensorsHeader(entries, metadata));
  for (let k = 0; k < parts; k++) {
    const v = openSafetensors(path.join(partial, partName(k, 'safetensors'))).read('vectors');
    fs.writeSync(fd, Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  }
  if (pool === 'none') {
    const offsets = Buffer.alloc((all.length + 1) * 8);
    let at = 0;
    all.forEach((r, i) => {
      offsets.writeBigInt64LE(BigInt(at), i * 8);
      at += r.tokens;
    });
    offsets.writeBigInt64LE(BigInt(at), all.length * 8);
    fs.writeSync(fd, offsets);
  }
}
