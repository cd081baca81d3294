import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../util/paths.ts';
import { loadTacred, loadTyping } from './formats.ts';

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
