import { expect, it } from 'vitest';
import { toFindHead } from './find-head.ts';

it('writes the official find_head record for the fox sentence', () => {
  const text = 'The quick brown fox jumps over the lazy dog.';
  const words = ['The', 'quick', 'brown', 'fox', 'jumps', 'over', 'the', 'lazy', 'dog', '.'];
  const starts = [0, 4, 10, 16, 20, 26, 31, 35, 40, 43];
  const record = toFindHead({
    id: 'x',
    source: 'test',
    text,
    tokens: words,
    offsets: words.map((w, i) => [starts[i]!, starts[i]! + w.length] as [number, number]),
    heads: [4, 4, 4, 5, 0, 9, 9, 9, 5, 5],
    deprels: ['det', 'amod', 'amod', 'nsubj', 'root', 'case', 'det', 'amod', 'obl', 'punct'],
    pos: ['DT', 'JJ', 'JJ', 'NN', 'VBZ', 'IN', 'DT', 'JJ', 'NN', '.'],
  });
  expect(record.sent).toBe(text);
  expect(record.tokens[0]).toEqual({ '1': { start: 0, end: 3 } });
  expect(record.tokens[9]).toEqual({ '10': { start: 43, end: 44 } });
  expect(record.pairs[0]).toEqual({ dependent_index: 1, governor_index: 4, dep: 'det' });
  expect(record.pairs[4]).toEqual({ dependent_index: 5, governor_index: 0, dep: 'root' });
  for (const t of record.tokens) {
    const [index, span] = Object.entries(t)[0]!;
    expect(text.slice(span.start, span.end)).toBe(words[Number(index) - 1]);
  }
});
