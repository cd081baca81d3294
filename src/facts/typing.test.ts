import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ASTRAL_EXAMPLE, pythonSlice } from '../../test/fixtures/astral-sentence.ts';
import { EntityTypingExample } from '../data/schemas.ts';
import { loadTyping } from '../data/formats.ts';
import { typingRows } from './typing.ts';

const TYPES: Record<string, string[]> = {
  'person:merkel': ['entity', 'person'],
  'city:beijing': ['entity', 'location', 'location/city'],
  'thing:vague': ['entity'],
};

// Angela Merkel (words 2–3), 北京 (word 5), an ambiguous "visited" and one typed only "entity".
const MENTIONS = [
  { start: 1, end: 2, ids: ['person:merkel'] },
  { start: 3, end: 3, ids: ['city:beijing', 'person:merkel'] },
  { start: 4, end: 4, ids: ['city:beijing'] },
  { start: 5, end: 5, ids: ['thing:vague'] },
];

const rows = () => typingRows(ASTRAL_EXAMPLE, MENTIONS, (id) => TYPES[id]);

it('writes the mention offsets in code points after an emoji and CJK', () => {
  expect(rows().map((r) => [r.id, r.start, r.end, r.labels])).toEqual([
    ['astral:2-15', 2, 15, ['entity', 'person']],
    ['astral:24-26', 24, 26, ['entity', 'location', 'location/city']],
  ]);
  expect(rows().map((r) => pythonSlice(r.sent, r.start, r.end))).toEqual(['Angela Merkel', '北京']);
});

it('reads its own rows back to the same mentions and offsets', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-typing-')), 'dev.jsonl');
  const written = rows().map((r) => EntityTypingExample.parse(r));
  fs.writeFileSync(file, written.map((r) => JSON.stringify(r)).join('\n'));
  const read = loadTyping(file);
  expect(read.skipped).toEqual({});
  expect(read.rows.map((r) => r.sent.slice(...r.utf16Span))).toEqual(['Angela Merkel', '北京']);
  expect(read.rows.map(({ utf16Span: _, ...r }) => r)).toEqual(written);
});
