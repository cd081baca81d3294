import { describe, expect, it } from 'vitest';
import { normalizeSentence, normalizeWhitespace } from './normalize.ts';

describe('normalizeSentence', () => {
  it('composes to NFC and folds white space', () => {
    expect(normalizeSentence('  Cafe\u0301 au\tlait\u00a0is  hot. ')).toEqual({
      ok: true,
      text: 'Café au lait is hot.',
    });
  });

  it.each([
    ['empty', ''],
    ['empty', '   \t '],
    ['invalid-utf8', 'bad \uFFFD bytes here'],
    ['control-characters', 'a bell \u0007 rings here'],
    ['not-latin-script', 'Это обычное русское предложение.'],
    ['not-latin-script', '这是一个中文句子，不是英语。'],
    ['too-short', 'Two words'],
    ['too-short', '1 2 3 4'],
    ['too-long', 'word '.repeat(10_000)],
    ['too-long', 'x'.repeat(50_000)],
    ['too-long', 'a '.repeat(150)],
  ])('skips with reason %s (case %#)', (reason, raw) => {
    expect(normalizeSentence(raw)).toEqual({ ok: false, reason });
  });

  it('keeps Latin-script text with a few foreign words', () => {
    expect(normalizeSentence('He said привет to the crowd and then everyone laughed at him loudly.').ok).toBe(true);
  });
});

it('normalizeWhitespace trims and folds newlines', () => {
  expect(normalizeWhitespace('\n a\n\nb \r\n')).toBe('a b');
});
