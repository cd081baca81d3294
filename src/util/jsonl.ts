// JSON Lines files: written whole through a temp file and a rename (a reader never sees half a
// file, and a killed writer leaves only a temp file behind), read as a stream.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { z } from 'zod';
import type { WrittenFile } from '../data/files.ts';
import { parseJsonText } from './json-file.ts';

export type { WrittenFile };

export function writeFileAtomic(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
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

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
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
