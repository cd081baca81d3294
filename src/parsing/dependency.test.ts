import { describe, expect, it } from 'vitest';
import { exampleProblem, fromCoreNlp, treeProblem } from './dependency.ts';
import type { CoreNlpSentence } from './corenlp-client.ts';
import { ASTRAL_EXAMPLE } from '../../test/fixtures/astral-sentence.ts';

describe('treeProblem', () => {
  it('accepts a tree', () => expect(treeProblem([4, 4, 4, 5, 0, 9, 9, 9, 5, 5])).toBeNull());
  it('rejects two roots', () => expect(treeProblem([0, 0])).toBe('2 roots'));
  it('rejects no root', () => expect(treeProblem([2, 1])).toBe('0 roots'));
  it('rejects a head out of range', () => expect(treeProblem([0, 3])).toMatch(/out of range/));
  it('rejects a cycle off the root', () => expect(treeProblem([0, 3, 4, 2])).toMatch(/cycle/));
  it('rejects an empty sentence', () => expect(treeProblem([])).toBe('no words'));
});

const token = (index: number, word: string, begin: number, pos = 'NN') => ({
  index,
  word,
  originalText: word,
  pos,
  characterOffsetBegin: begin,
  characterOffsetEnd: begin + word.length,
});

describe('fromCoreNlp', () => {
  // "Dogs bark ." at offset 100 of a batch.
  const sentence: CoreNlpSentence = {
    index: 3,
    tokens: [token(1, 'Dogs', 100, 'NNS'), token(2, 'bark', 105, 'VBP'), token(3, '.', 109, '.')],
    basicDependencies: [
      { dep: 'ROOT', governor: 0, dependent: 2 },
      { dep: 'nsubj', governor: 2, dependent: 1 },
      { dep: 'punct', governor: 2, dependent: 3 },
    ],
  };

  it('reads words, spans relative to the sentence, heads and relations', () => {
    expect(fromCoreNlp(sentence, 100)).toEqual({
      tokens: ['Dogs', 'bark', '.'],
      offsets: [
        [0, 4],
        [5, 9],
        [9, 10],
      ],
      heads: [2, 0, 2],
      deprels: ['nsubj', 'root', 'punct'],
      pos: ['NNS', 'VBP', '.'],
    });
  });

  it('refuses a word without a head', () => {
    expect(() => fromCoreNlp({ ...sentence, basicDependencies: sentence.basicDependencies!.slice(0, 2) }, 100)).toThrow(
      /word 3 has no head/,
    );
  });

  it('refuses a word with two heads', () => {
    const deps = [...sentence.basicDependencies!, { dep: 'dep', governor: 1, dependent: 3 }];
    expect(() => fromCoreNlp({ ...sentence, basicDependencies: deps }, 100)).toThrow(/two heads/);
  });
});

describe('exampleProblem', () => {
  const ok = {
    id: 'x',
    source: 's',
    text: 'Dogs bark.',
    tokens: ['Dogs', 'bark', '.'],
    offsets: [
      [0, 4],
      [5, 9],
      [9, 10],
    ] as [number, number][],
    heads: [2, 0, 2],
    deprels: ['nsubj', 'root', 'punct'],
    pos: ['NNS', 'VBP', '.'],
  };
  it('passes a good example', () => expect(exampleProblem(ok)).toBeNull());
  it('catches a length mismatch', () => expect(exampleProblem({ ...ok, pos: ['NNS'] })).toMatch(/pos has 1 entries/));
  it('catches a span that does not hold its token', () =>
    expect(
      exampleProblem({
        ...ok,
        offsets: [
          [0, 4],
          [4, 9],
          [9, 10],
        ],
      }),
    ).toMatch(/token 2 "bark"/));
  it('passes UTF-16 spans after an emoji and CJK', () => expect(exampleProblem(ASTRAL_EXAMPLE)).toBeNull());
  it('catches a span that cuts a character in two, which no export could write in code points', () =>
    expect(
      exampleProblem({
        ...ok,
        text: 'a😀',
        tokens: ['a\uD83D', '\uDE00'],
        offsets: [
          [0, 2],
          [2, 3],
        ],
        heads: [0, 1],
        deprels: ['root', 'dep'],
        pos: ['NN', 'NN'],
      }),
    ).toBe('token 1 at 0..2 cuts a character of the text in two'));
});
