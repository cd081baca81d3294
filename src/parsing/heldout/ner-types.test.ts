import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COARSE_TYPES, EntityTypingExample } from '../../data/schemas.ts';
import { repoRoot } from '../../util/paths.ts';
import { joeSmith } from '../../../test/fixtures/heldout/sentences.ts';
import { KBP_TO_TACRED } from './tacred.ts';
import { emptyTypingCounts, NER_TO_OPENENTITY, nerTypingRows, nerUse } from './ner-types.ts';

/** The rows of a table of docs/design.md between its markers, cells without backticks. */
function docTable(marker: string): string[][] {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'design.md'), 'utf8');
  const body = doc.split(`<!-- ${marker} -->`)[1]!.split(`<!-- /${marker} -->`)[0]!;
  return body
    .trim()
    .split('\n')
    .slice(2)
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim().replaceAll('`', '')),
    );
}

describe('NER classes as OpenEntity types', () => {
  it("covers CoreNLP 4.5.10's 24 fine-grained NER classes, with OpenEntity labels only", () => {
    expect(Object.keys(NER_TO_OPENENTITY)).toHaveLength(24);
    for (const use of Object.values(NER_TO_OPENENTITY)) {
      if (!('labels' in use)) continue;
      expect(use.labels.length).toBeGreaterThan(0);
      for (const label of use.labels) expect(COARSE_TYPES).toContain(label.split('/')[0]);
    }
    expect(nerUse('NUMBER')).toEqual({ notUsed: expect.any(String) });
    expect(nerUse('toString')).toBeUndefined();
  });

  it('is the table docs/design.md shows, and so is the KBP mapping', () => {
    const ner = docTable('ner-to-openentity').map(([cls, labels]) => [cls, labels]);
    const fromCode = Object.entries(NER_TO_OPENENTITY).map(([cls, use]) => [
      cls,
      'labels' in use ? use.labels.join(', ') : `not used: ${use.notUsed}`,
    ]);
    expect(ner).toEqual(fromCode);
    const kbp = docTable('kbp-to-tacred').map(([from, to]) => [from, to]);
    expect(kbp).toEqual(Object.entries(KBP_TO_TACRED));
  });
});

describe('typing rows of an annotated sentence', () => {
  it('makes a row per named mention of a used class and counts the others by reason', () => {
    const counts = emptyTypingCounts();
    const rows = nerTypingRows(joeSmith(), counts);
    for (const r of rows) EntityTypingExample.parse(r);
    expect(rows.map((r) => [r.sent.slice(r.start, r.end), r.labels])).toEqual([
      ['Joe Smith', ['entity', 'person']],
      ['CEO', ['entity', 'person', 'person/title']],
      ['Acme Corp.', ['entity', 'organization']],
      ['Paris', ['entity', 'location', 'location/city']],
      ['1950', ['entity', 'time', 'time/date']],
    ]);
    expect(rows[0]!.id).toBe('nlp-corpus-0000000000000001:0-9');
    expect(counts.pronouns).toEqual({ PERSON: 1 });
    expect(counts.mentions).toEqual({ PERSON: 2, TITLE: 1, ORGANIZATION: 1, CITY: 1, DATE: 1 });
  });

  it('counts classes not used and classes the table does not know, never drops them silently', () => {
    const s = joeSmith();
    s.mentions = [
      { span: [17, 18], ner: 'NUMBER', pronoun: false },
      { span: [11, 12], ner: 'SPACESHIP', pronoun: false },
    ];
    const counts = emptyTypingCounts();
    expect(nerTypingRows(s, counts)).toEqual([]);
    expect(counts.notUsed).toEqual({ NUMBER: 1 });
    expect(counts.unmapped).toEqual({ SPACESHIP: 1 });
  });

  it('counts offsets in code points, and a span that cuts a character is counted, not a crash', () => {
    // "😀 Angela Merkel": the emoji is two UTF-16 code units, one code point.
    const s = joeSmith({
      text: '😀 Angela Merkel',
      tokens: ['😀', 'Angela', 'Merkel'],
      offsets: [
        [0, 2],
        [3, 9],
        [10, 16],
      ],
      mentions: [
        { span: [1, 3], ner: 'PERSON', pronoun: false },
        { span: [0, 1], ner: 'PERSON', pronoun: false },
      ],
      relations: [],
    });
    s.offsets[0] = [1, 2]; // a broken span: starts inside the emoji
    const counts = emptyTypingCounts();
    const rows = nerTypingRows(s, counts);
    expect(rows.map((r) => [r.start, r.end, [...r.sent].slice(r.start, r.end).join('')])).toEqual([
      [2, 15, 'Angela Merkel'],
    ]);
    expect(counts.cutsCharacter).toBe(1);
  });
});
