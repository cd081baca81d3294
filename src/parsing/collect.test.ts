import { describe, expect, it } from 'vitest';
import { assignToLines } from './corenlp-pool.ts';
import { hashSplit, sentenceHash } from './collect.ts';
import type { CoreNlpSentence } from './corenlp-client.ts';

describe('hashSplit', () => {
  it('is stable and close to 90/5/5', () => {
    const counts = { train: 0, dev: 0, test: 0 };
    for (let i = 0; i < 20_000; i++) counts[hashSplit(sentenceHash(`sentence number ${i}`))]++;
    expect(counts.train / 20_000).toBeCloseTo(0.9, 1);
    expect(counts.dev / 20_000).toBeCloseTo(0.05, 1);
    expect(hashSplit(sentenceHash('a fixed sentence'))).toBe(hashSplit(sentenceHash('a fixed sentence')));
  });
});

const sent = (begin: number, end: number): CoreNlpSentence => ({
  index: 0,
  tokens: [{ index: 1, word: 'x', originalText: 'x', characterOffsetBegin: begin, characterOffsetEnd: end }],
});

describe('assignToLines', () => {
  const lines = ['Hello there.', 'Second line. Two sentences.', 'Third.'];
  // Line starts: 0, 13, 41.
  it('gives each line its sentences and its offset', () => {
    const out = assignToLines(lines, [sent(0, 12), sent(13, 25), sent(26, 40), sent(41, 47)]);
    expect(out.map((o) => (o.ok ? [o.base, o.sentences.length] : o.reason))).toEqual([
      [0, 1],
      [13, 2],
      [41, 1],
    ]);
  });

  it('marks a line that got no sentence', () => {
    expect(assignToLines(lines, [sent(0, 12), sent(41, 47)])[1]).toEqual({ ok: false, reason: 'no-sentence' });
  });

  it('refuses a sentence that crosses a line boundary', () => {
    expect(() => assignToLines(lines, [sent(0, 20)])).toThrow(/crosses a line boundary/);
  });
});
