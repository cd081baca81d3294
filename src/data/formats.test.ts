import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../util/paths.ts';
import { loadTacred, loadTyping, streamTyping, type TypingExample } from './formats.ts';

const fixtures = path.join(repoRoot, 'test', 'fixtures', 'eval');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-formats-'));

describe('standard downstream formats', () => {
  it('reads OpenEntity and FIGER files (JSON arrays) with their label styles', () => {
    const oe = loadTyping(path.join(fixtures, 'openentity', 'train.json'));
    expect(oe.rows.length).toBe(27);
    expect(oe.skipped).toEqual({});
    const r = oe.rows[0]!;
    expect(r.sent.slice(r.start, r.end)).toBe('Paris');
    expect(r.labels).toEqual(['entity', 'location']);
    const figer = loadTyping(path.join(fixtures, 'figer', 'test.json'));
    expect(figer.rows[0]!.labels).toEqual(['/location', '/location/city']);
  });

  it('reads TACRED files with their extra fields', () => {
    const t = loadTacred(path.join(fixtures, 'tacred', 'train.json'));
    expect(t.rows.length).toBeGreaterThan(20);
    const r = t.rows[0]!;
    expect(r.token.slice(r.subj_start, r.subj_end + 1)).toEqual(['Paris']);
    expect(r.relation).toBe('org:capital_of');
  });

  it('reads JSON Lines too, counting malformed and foreign rows', () => {
    const file = path.join(scratch, 'mixed.jsonl');
    fs.writeFileSync(
      file,
      [
        '{"sent":"A b","start":0,"end":1,"labels":["x"]}',
        '{"sent":',
        '{"token":["a"]}',
        '{"sent":"A b","start":2,"end":9,"labels":["x"]}',
      ].join('\n'),
    );
    const t = loadTyping(file);
    expect(t.rows).toHaveLength(1);
    expect(t.skipped['malformed JSON line']).toBe(1);
    expect(t.skipped['mention span outside the sentence']).toBe(1);
    expect(Object.keys(t.skipped).some((k) => k.startsWith('not OpenEntity/FIGER'))).toBe(true);
  });

  describe('offsets counted in code points, as Python and the official files count them', () => {
    // Python: s = "😀 Angela Merkel visited 北京 ."; s[2:15] == "Angela Merkel", s[24:26] == "北京".
    const sent = '😀 Angela Merkel visited 北京 .';
    const rows = [
      { sent, start: 2, end: 15, labels: ['person'] },
      { sent, start: 24, end: 26, labels: ['location'] },
      // After CJK of both planes: 北京 one UTF-16 unit a character, 𠀀 two.
      { sent: '北京 𠀀 Paris', start: 5, end: 10, labels: ['location'] },
      // Five UTF-16 units but four code points: past the end in the file's unit.
      { sent: '😀 ab', start: 2, end: 5, labels: ['x'] },
    ];
    const mention = (r: TypingExample) => r.sent.slice(...r.utf16Span);

    it('cuts the mention after an emoji or CJK, and skips a span past the end in code points', () => {
      const file = path.join(scratch, 'codepoints.json');
      fs.writeFileSync(file, JSON.stringify(rows));
      const t = loadTyping(file);
      expect(t.rows.map(mention)).toEqual(['Angela Merkel', '北京', 'Paris']);
      expect(t.skipped).toEqual({ 'mention span outside the sentence': 1 });
    });

    it("keeps the file's offsets on the row beside the UTF-16 span", () => {
      const file = path.join(scratch, 'codepoints-kept.json');
      fs.writeFileSync(file, JSON.stringify(rows.slice(0, 1)));
      const [r] = loadTyping(file).rows;
      expect([r!.start, r!.end, r!.utf16Span]).toEqual([2, 15, [3, 16]]);
    });

    it('reads JSON Lines streamed the same way', async () => {
      const file = path.join(scratch, 'codepoints.jsonl');
      fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
      const skipped: Record<string, number> = {};
      const read: TypingExample[] = [];
      for await (const r of streamTyping(file, skipped)) read.push(r);
      expect(read.map(mention)).toEqual(['Angela Merkel', '北京', 'Paris']);
      expect(skipped).toEqual({ 'mention span outside the sentence': 1 });
    });
  });

  it('streams a JSON array element by element: rows before a syntax error arrive, then the error', async () => {
    const file = path.join(scratch, 'broken-array.json');
    const row = { sent: 'Paris is big .', start: 0, end: 5, labels: ['location'] };
    // A long array whose last element is cut: parsed whole, it would fail before any row.
    fs.writeFileSync(file, `[${Array.from({ length: 2000 }, () => JSON.stringify(row)).join(',\n')},\n{"sent": "cut`);
    const read: TypingExample[] = [];
    await expect(
      (async () => {
        for await (const r of streamTyping(file, {})) read.push(r);
      })(),
    ).rejects.toThrow(/broken-array\.json: not a JSON array/);
    expect(read).toHaveLength(2000);
    expect(read[0]!.sent).toBe('Paris is big .');
  });

  it('streams a JSON array with the same rows and skips as reading it whole', async () => {
    const file = path.join(fixtures, 'figer', 'train.json');
    const whole = loadTyping(file);
    const skipped: Record<string, number> = {};
    const streamed: TypingExample[] = [];
    for await (const r of streamTyping(file, skipped)) streamed.push(r);
    expect(streamed).toEqual(whole.rows);
    expect(skipped).toEqual(whole.skipped);
  });

  it('says what was expected for an empty file or a file of the other format', () => {
    const empty = path.join(scratch, 'empty.json');
    fs.writeFileSync(empty, '');
    expect(() => loadTyping(empty)).toThrow(/the file is empty/);
    expect(() => loadTyping(path.join(fixtures, 'tacred', 'dev.json'))).toThrow(
      /no row in the OpenEntity\/FIGER format \(\{"sent", "start", "end", "labels"\}\)/,
    );
    expect(() => loadTacred(path.join(fixtures, 'openentity', 'dev.json'))).toThrow(/no row in the TACRED format/);
    expect(() => loadTacred(path.join(scratch, 'missing.json'))).toThrow(/no such file/);
  });
});
