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
import { openSafetensors, writeSafetensors } from '../kadapter/safetensors.ts';
import { UserError } from '../util/errors.ts';
import { readJsonFileIfExists } from '../util/json-file.ts';
import { fsyncDir, sha256File, writeFileAtomic } from '../util/jsonl.ts';
import { hashOf } from '../util/manifest.ts';
import type { Composition } from './compose.ts';
import { encodeStream, type EncodedInput, type EncodeInput, type Pooling } from './encode.ts';

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
  // Parts are written whole and in order: the complete ones are a prefix.
  let done = 0;
  let resumed = 0;
  for (; fs.existsSync(path.join(partial, partName(done, 'json'))); done++)
    resumed += readIndexPart(path.join(partial, partName(done, 'json'))).length;

  const skipped: Record<string, number> = {};
  let inputs = 0;
  const total = await countInputs(o.input);
  o.onProgress?.(Math.min(resumed, total), total);
  const items: Item[] = [];
  const pending = (async function* () {
    let n = 0;
    for await (const item of readInputs(o.input, skipped)) {
      if (n++ < resumed) continue;
      items.push(item);
      yield item.input;
    }
  })();
  let k = done;
  for await (const chunk of encodeStream(comp, pending, { ...o, chunkSize })) {
    const chunkItems = items.splice(0, chunk.length);
    writePart(partial, k, format, o.pool, comp.width, chunk, chunkItems, resumed + inputs);
    inputs += chunk.length;
    k++;
    o.onProgress?.(resumed + inputs, total);
  }
  if (resumed + inputs === 0) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw new UserError(`${o.input}: no input to encode (${JSON.stringify(skipped)})`);
  }
  const summary = assemble(partial, k, format, o, comp);
  fs.rmSync(partial, { recursive: true, force: true });
  return {
    ...summary,
    inputs: resumed + inputs,
    resumed,
    skipped,
    width: comp.width,
    format,
    truncated: summary.truncated,
  };
}

function writePart(
  partial: string,
  k: number,
  format: 'jsonl' | 'safetensors',
  pool: Pooling,
  width: number,
  chunk: EncodedInput[],
  items: Item[],
  first: number,
): void {
  const index = chunk.map((e, i) => indexLine(first + i, items[i]!, e));
  if (format === 'jsonl') {
    const lines = chunk.map((e, i) => {
      const v = Array.from(e.vector);
      const vector = pool === 'none' ? { vectors: rowsOf(v, width) } : { vector: v };
      return JSON.stringify({ ...index[i], ...(e.firstSubword ? { firstSubword: e.firstSubword } : {}), ...vector });
    });
    writeFileAtomic(path.join(partial, partName(k, 'jsonl')), `${lines.join('\n')}\n`);
  } else {
    const rows = chunk.reduce((n, e) => n + e.vector.length / width, 0);
    const data = new Float32Array(rows * width);
    let at = 0;
    for (const e of chunk) {
      data.set(e.vector, at);
      at += e.vector.length;
    }
    writeSafetensors(path.join(partial, partName(k, 'safetensors')), {
      vectors: { dtype: 'F32', shape: [rows, width], data },
    });
  }
  // The index part is written last: it marks the part complete.
  writeFileAtomic(path.join(partial, partName(k, 'json')), JSON.stringify(index));
}

const rowsOf = (v: number[], width: number) =>
  Array.from({ length: v.length / width }, (_, r) => v.slice(r * width, (r + 1) * width));

const IndexPart = z.array(z.looseObject({ tokens: z.number().int(), truncated: z.boolean() }));
const readIndexPart = (file: string) => IndexPart.parse(JSON.parse(fs.readFileSync(file, 'utf8')));

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
  const header: Record<string, unknown> = {
    __metadata__: {
      format: 'kadapter-encode/1',
      base: comp.base.name,
      base_sha256: baseWeightsSha256(comp.base),
      components: comp.names.join(','),
      combine: comp.combine,
      pool,
    },
    vectors: { dtype: 'F32', shape: [rows, comp.width], data_offsets: [0, vectorBytes] },
  };
  if (pool === 'none')
    header.offsets = {
      dtype: 'I64',
      shape: [all.length + 1],
      data_offsets: [vectorBytes, vectorBytes + (all.length + 1) * 8],
    };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeSync(fd, len);
  fs.writeSync(fd, json);
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
