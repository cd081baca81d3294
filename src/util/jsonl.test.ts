import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { expect, it } from 'vitest';
import { readJsonLines } from './jsonl.ts';

it('skips and counts malformed and invalid lines, passing the valid ones on', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-jsonl-')), 'rows.jsonl');
  fs.writeFileSync(file, ['{"a":1}', '{"a":', '', '{"a":"x"}', '{"a":2}', '[1]'].join('\n'));
  const skips: Record<string, number> = {};
  const rows: { a: number }[] = [];
  for await (const r of readJsonLines(file, z.strictObject({ a: z.number() }), skips)) rows.push(r);
  expect(rows).toEqual([{ a: 1 }, { a: 2 }]);
  expect(skips['malformed JSON line']).toBe(1);
  expect(
    Object.entries(skips)
      .filter(([k]) => k.startsWith('invalid row'))
      .reduce((n, [, v]) => n + v, 0),
  ).toBe(2);
});
