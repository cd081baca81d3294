// The standard downstream formats, read as their public releases write them, so that real
// datasets drop in with --data-dir:
//   OpenEntity / FIGER (as K-Adapter distributes them): {sent, start, end, labels} — character
//     offsets of the mention in `sent`, counted in code points as Python counts them (SPEC §5);
//     FIGER labels are paths like "/person/artist".
//   TACRED: {id, token, subj_start, subj_end, obj_start, obj_end, relation, …} — inclusive word spans.
// A file is a JSON array or JSON Lines. Rows that do not fit are counted, an empty or foreign file
// is an error that says what was expected. The project's own rows also carry `sentence_id` (the
// dependency sentence they come from, for the leakage checks) and `source`; real datasets lack
// both, so both are optional here. `streamTyping` and `streamTacred` read either as a stream (a
// capped sample never holds a whole file: FIGER's train array has ~2M rows); `loadTyping` and
// `loadTacred` read a small file whole.
import fs from 'node:fs';
import readline from 'node:readline';
import { streamArray } from 'stream-json/streamers/stream-array.js';
import { z } from 'zod';
import { codePointIndex } from '../util/codepoints.ts';
import { UserError } from '../util/errors.ts';

/** The fields of the project's own rows that real datasets lack. */
const Provenance = {
  sentence_id: z.string().min(1).optional(),
  source: z.string().optional(),
};

/** An OpenEntity/FIGER row as the file has it: `start`/`end` count code points. */
export const TypingRow = z.looseObject({
  ...Provenance,
  sent: z.string(),
  start: z.number().int().min(0),
  end: z.number().int().min(0),
  labels: z.array(z.string()),
});
export type TypingRow = z.infer<typeof TypingRow>;

/**
 * A typing row as read: the file's fields unchanged, and the mention's [start, end) in UTF-16 code
 * units, the offsets `sent.slice` takes. The reader converts once, here at the edge; nothing else
 * in the project cuts `sent` by the file's offsets.
 */
export type TypingExample = TypingRow & { utf16Span: [number, number] };

export const TacredRow = z.looseObject({
  ...Provenance,
  id: z.union([z.string(), z.number()]).transform(String),
  token: z.array(z.string()).min(1),
  subj_start: z.number().int().min(0),
  subj_end: z.number().int().min(0),
  obj_start: z.number().int().min(0),
  obj_end: z.number().int().min(0),
  relation: z.string(),
});
export type TacredRow = z.infer<typeof TacredRow>;

export interface Loaded<T> {
  rows: T[];
  skipped: Record<string, number>;
}

function parseFile(file: string): unknown[] {
  if (!fs.existsSync(file)) throw new UserError(`${file}: no such file`);
  const text = fs.readFileSync(file, 'utf8').trim();
  if (text.length === 0) throw new UserError(`${file}: the file is empty`);
  if (text.startsWith('[')) {
    try {
      const rows: unknown = JSON.parse(text);
      if (Array.isArray(rows)) return rows;
    } catch (e) {
      throw new UserError(`${file}: not a JSON array (${(e as Error).message})`);
    }
  }
  return text.split('\n').map((l, i) => {
    try {
      return JSON.parse(l) as unknown;
    } catch {
      return { __malformed: i + 1 };
    }
  });
}

/** A format: rows of type R in the file, of type T once admitted. */
interface Format<R, T> {
  schema: z.ZodType<R>;
  name: string;
  example: string;
  /** A row that fits the schema as the code takes it, or the reason it is skipped. */
  admit: (row: R) => T | string;
}

/** The span is checked in code points, the file's unit, before it is converted. */
function admitTyping(row: TypingRow): TypingExample | string {
  const cp = codePointIndex(row.sent);
  if (!(row.start < row.end && row.end <= cp.length)) return 'mention span outside the sentence';
  return { ...row, utf16Span: [cp.toUtf16(row.start)!, cp.toUtf16(row.end)!] };
}

const TYPING: Format<TypingRow, TypingExample> = {
  schema: TypingRow,
  name: 'OpenEntity/FIGER',
  example: '{"sent", "start", "end", "labels"}',
  admit: admitTyping,
};

const TACRED: Format<TacredRow, TacredRow> = {
  schema: TacredRow,
  name: 'TACRED',
  example: '{"id", "token", "subj_start", "subj_end", "obj_start", "obj_end", "relation"}',
  admit: (row) => row,
};

const bump = (skipped: Record<string, number>, reason: string) => (skipped[reason] = (skipped[reason] ?? 0) + 1);

/** One raw row checked against a format: the row, or null with the reason counted. */
function checkRow<R, T>(raw: unknown, f: Format<R, T>, skipped: Record<string, number>): T | null {
  if (raw && typeof raw === 'object' && '__malformed' in raw) return (bump(skipped, 'malformed JSON line'), null);
  const p = f.schema.safeParse(raw);
  if (!p.success) {
    const issue = p.error.issues[0]!;
    return (bump(skipped, `not ${f.name}: ${issue.path.map(String).join('.') || '(row)'}: ${issue.message}`), null);
  }
  const row = f.admit(p.data);
  return typeof row === 'string' ? (bump(skipped, row), null) : row;
}

const noRows = (file: string, f: Format<unknown, unknown>, skipped: Record<string, number>) =>
  new UserError(`${file}: no row in the ${f.name} format (${f.example}); ${JSON.stringify(skipped)}`);

function load<R, T>(file: string, f: Format<R, T>, skipped: Record<string, number> = {}): Loaded<T> {
  const rows = parseFile(file).flatMap((r) => {
    const row = checkRow(r, f, skipped);
    return row === null ? [] : [row];
  });
  if (rows.length === 0) throw noRows(file, f as Format<unknown, unknown>, skipped);
  return { rows, skipped };
}

export function loadTyping(file: string): Loaded<TypingExample> {
  return load(file, TYPING);
}

export function loadTacred(file: string): Loaded<TacredRow> {
  return load(file, TACRED);
}

/** The first character of a file that is not white space ('' for an empty file). */
/** Whether a file holds nothing but white space (a split with no row at all). */
export const isBlank = (file: string): boolean => firstChar(file) === '';

function firstChar(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    for (let pos = 0; ;) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) return '';
      const text = buf.toString('utf8', 0, n).trimStart();
      if (text.length > 0) return text[0]!;
      pos += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The valid rows of a file, as a stream: JSON Lines line by line, a JSON array parsed whole.
 * Skips are counted in `skipped`; a file with no valid row is an error, as for `load`.
 */
async function* stream<R, T>(file: string, f: Format<R, T>, skipped: Record<string, number>): AsyncIterable<T> {
  if (!fs.existsSync(file)) throw new UserError(`${file}: no such file`);
  const first = firstChar(file);
  if (first === '') throw new UserError(`${file}: the file is empty`);
  let n = 0;
  for await (const raw of first === '[' ? arrayElements(file) : jsonLines(file)) {
    const row = checkRow(raw, f, skipped);
    if (row === null) continue;
    n++;
    yield row;
  }
  if (n === 0) throw noRows(file, f as Format<unknown, unknown>, skipped);
}

/** The values of a JSON Lines file, a malformed line as a marker that checkRow counts. */
async function* jsonLines(file: string): AsyncIterable<unknown> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim().length === 0) continue;
    try {
      yield JSON.parse(line);
    } catch {
      yield { __malformed: true };
    }
  }
}

/**
 * The elements of a file holding one JSON array, parsed as they come (FIGER's train file is a
 * 2M-element array: never held whole). A syntax error stops the file with its position.
 */
async function* arrayElements(file: string): AsyncIterable<unknown> {
  const elements = fs.createReadStream(file).pipe(streamArray.withParserAsStream());
  try {
    for await (const { value } of elements as AsyncIterable<{ value: unknown }>) yield value;
  } catch (e) {
    throw new UserError(`${file}: not a JSON array (${(e as Error).message})`);
  } finally {
    elements.destroy();
  }
}

export function streamTyping(file: string, skipped: Record<string, number>): AsyncIterable<TypingExample> {
  return stream(file, TYPING, skipped);
}

export function streamTacred(file: string, skipped: Record<string, number>): AsyncIterable<TacredRow> {
  return stream(file, TACRED, skipped);
}
