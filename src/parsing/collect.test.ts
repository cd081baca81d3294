import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { assignToLines, type CoreNlpPool, type LineOutcome } from './corenlp-pool.ts';
import { collectSentences, hashSplit, sentenceHash } from './collect.ts';
import { DEFAULT_BOUNDS } from './normalize.ts';
import { inputFiles } from './sources/input-files.ts';
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

/**
 * A sentence splitter that behaves as CoreNLP's does with characters it cannot tokenize: each line
 * is one sentence, from its first to its last character that is neither white space nor U+FFFD.
 */
const edgeStrippingSplitter = {
  capacity: 1,
  async annotateLines(lines: string[]): Promise<LineOutcome[]> {
    let base = 0;
    return lines.map((line) => {
      const at = base;
      base += line.length + 1;
      const begin = line.search(/[^\s\uFFFD]/u);
      const end =
        line.length -
        [...line]
          .reverse()
          .join('')
          .search(/[^\s\uFFFD]/u);
      return { ok: true, base: at, sentences: [sent(at + begin, at + end)] };
    });
  },
} as unknown as CoreNlpPool;

describe('collectSentences on --input files', () => {
  it('counts every line with invalid bytes, at its start, end or middle, and every empty file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-inputs-'));
    const text = path.join(dir, 'text.txt');
    fs.writeFileSync(
      text,
      Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from(' Leading bad bytes make this line invalid.\n'),
        Buffer.from('Trailing bad bytes make this line invalid. '),
        Buffer.from([0xc3]),
        Buffer.from('\nMiddle bytes '),
        Buffer.from([0xc3, 0x28]),
        Buffer.from(' make this line invalid too.\n'),
        Buffer.from('Rivers carry water from the mountains to the sea.\n'),
      ]),
    );
    const empty = path.join(dir, 'empty.txt');
    fs.writeFileSync(empty, '');
    const blank = path.join(dir, 'blank.txt');
    fs.writeFileSync(blank, '\n  \n');
    const warnings: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      warnings.push(String(chunk));
      return true;
    });
    try {
      const { planned, counts } = await collectSentences([inputFiles([text, empty, blank])], edgeStrippingSplitter, {
        target: 100,
        bounds: DEFAULT_BOUNDS,
      });
      expect(planned.map((s) => s.text)).toEqual(['Rivers carry water from the mountains to the sea.']);
      expect(counts.input).toMatchObject({ read: 4, skipped: { 'invalid-utf8': 3 }, emptyFiles: 2 });
    } finally {
      vi.restoreAllMocks();
    }
    expect(warnings.join('')).toContain(`--input ${empty} is empty`);
    expect(warnings.join('')).toContain(`--input ${blank} is empty`);
  });
});
