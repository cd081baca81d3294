// The standard downstream formats, read as their public releases write them, so that real
// datasets drop in with --data-dir:
//   OpenEntity / FIGER (as K-Adapter distributes them): {sent, start, end, labels} — character
//     offsets of the mention in `sent`; FIGER labels are paths like "/person/artist".
//   TACRED: {id, token, subj_start, subj_end, obj_start, obj_end, relation, …} — inclusive word spans.
// A file is a JSON array or JSON Lines. Rows that do not fit are counted, an empty or foreign file
// is an error that says what was expected.
import fs from 'node:fs';
import { z } from 'zod';
import { UserError } from '../util/errors.ts';

export const TypingRow = z.looseObject({
  sent: z.string(),
  start: z.number().int().min(0),
  end: z.number().int().min(0),
  labels: z.array(z.string()),
});
export type TypingRow = z.infer<typeof TypingRow>;

export const TacredRow = z.looseObject({
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
      return JSON.parse(text) as unknown[];
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

function load<T>(file: string, schema: z.ZodType<T>, format: string, example: string): Loaded<T> {
  const raw = parseFile(file);
  const rows: T[] = [];
  const skipped: Record<string, number> = {};
  for (const r of raw) {
    if (r && typeof r === 'object' && '__malformed' in r) {
      skipped['malformed JSON line'] = (skipped['malformed JSON line'] ?? 0) + 1;
      continue;
    }
    const p = schema.safeParse(r);
    if (p.success) rows.push(p.data);
    else {
      const issue = p.error.issues[0]!;
      const reason = `not ${format}: ${issue.path.map(String).join('.') || '(row)'}: ${issue.message}`;
      skipped[reason] = (skipped[reason] ?? 0) + 1;
    }
  }
  if (rows.length === 0) {
    throw new UserError(`${file}: no row in the ${format} format (${example}); ${JSON.stringify(skipped)}`);
  }
  return { rows, skipped };
}

export function loadTyping(file: string): Loaded<TypingRow> {
  const loaded = load(file, TypingRow, 'OpenEntity/FIGER', '{"sent", "start", "end", "labels"}');
  const rows = loaded.rows.filter((r) => {
    const ok = r.start < r.end && r.end <= r.sent.length;
    if (!ok)
      loaded.skipped['mention span outside the sentence'] =
        (loaded.skipped['mention span outside the sentence'] ?? 0) + 1;
    return ok;
  });
  return { rows, skipped: loaded.skipped };
}

export function loadTacred(file: string): Loaded<TacredRow> {
  return load(
    file,
    TacredRow,
    'TACRED',
    '{"id", "token", "subj_start", "subj_end", "obj_start", "obj_end", "relation"}',
  );
}
