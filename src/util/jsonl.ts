// JSON Lines files: written whole through a temp file and a rename (a reader never sees half a
// file, and a killed writer leaves only a temp file behind), read as a stream.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { z } from 'zod';
import { parseJsonText } from './json-file.ts';
import { pidAlive } from './pid.ts';

const count = z.number().int().min(0);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex');

/** A file a stage wrote, as its manifest records it; paths are relative to the stage folder. */
export const WrittenFile = z.strictObject({ file: z.string().min(1), lines: count, bytes: count, sha256 });
export type WrittenFile = z.infer<typeof WrittenFile>;

/**
 * Writes `file` whole: into a temp file beside it, fsync'd, renamed over `file`, then the folder
 * fsync'd so that the rename itself survives a power cut. On any failure the temp file is removed
 * and the error names `file`.
 */
export function writeFileAtomic(file: string, content: string | Buffer): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw withPath(err, file);
  }
  fsyncDir(dir);
}

/** A write through a file descriptor fails without a path: name the file the caller was writing. */
export function withPath(err: unknown, file: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && !e.path) e.path = file;
  return err;
}

/** fsync a folder, so that a rename or a new entry in it is on disk (a no-op where the platform cannot). */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch (err) {
    // Some platforms and file systems refuse fsync on a folder; that is not a failed write.
    if (!['EINVAL', 'EISDIR', 'EPERM', 'EBADF'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    fs.closeSync(fd);
  }
}

/** Temp files of the atomic writers (`<file>.tmp-<pid>`) and checkpoint temp folders (`<dir>.tmp`). */
const TEMP_NAME = /\.tmp(-(\d+))?$/;

/** A writer still at work: another live process (this one's own temp files are stale). */
const alive = (pid: number) => pid !== process.pid && pidAlive(pid);

/**
 * Removes, under `dir`, the temp files and folders a killed or failed run left behind (those of
 * a writer still alive are kept). Returns how many were removed.
 */
export function removeStaleTemps(dir: string): number {
  let removed = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      const m = TEMP_NAME.exec(e.name);
      if (m && !(m[2] && alive(Number(m[2])))) {
        fs.rmSync(p, { recursive: true, force: true });
        removed++;
      } else if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return removed;
}

export function writeJsonlAtomic(file: string, rows: unknown[]): WrittenFile {
  const content = rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  writeFileAtomic(file, content);
  return {
    file,
    lines: rows.length,
    bytes: Buffer.byteLength(content),
    sha256: createHash('sha256').update(content).digest('hex'),
  };
}

/** The rows of one of the project's own JSON Lines files; a row that is not of its schema stops the read, naming the file, line and field. */
export async function* readJsonl<S extends z.ZodType>(file: string, schema: S): AsyncIterable<z.output<S>> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.length > 0) yield parseJsonText(line, schema, `${file}:${n}`);
  }
}

/** sha256 of a file, read in blocks: a base's weights may be larger than one Buffer (2 GiB). */
export function sha256File(file: string): string {
  const hash = createHash('sha256');
  const block = Buffer.alloc(1 << 22);
  const fd = fs.openSync(file, 'r');
  try {
    for (let n; (n = fs.readSync(fd, block, 0, block.length, null)) > 0;) hash.update(block.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * Rows of a JSON Lines file validated against a schema. A line that is not JSON, or not a valid
 * row, is skipped and counted under its reason in `skips` — never passed on, never fatal.
 */
export async function* readJsonLines<T>(
  file: string,
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  skips: Record<string, number>,
): AsyncIterable<T> {
  const count = (reason: string) => (skips[reason] = (skips[reason] ?? 0) + 1);
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim().length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      count('malformed JSON line');
      continue;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      count(`invalid row: ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
      continue;
    }
    yield parsed.data;
  }
}
