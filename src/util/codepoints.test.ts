import { describe, expect, it } from 'vitest';
import { codePointIndex, codePointSpan } from './codepoints.ts';

// Python's len() and slicing count code points; Array.from splits a string the same way.
const pythonPrefix = (text: string, points: number) => Array.from(text).slice(0, points).join('');

describe('code-point offsets', () => {
  it('counts ASCII the same in both units and has no offset past the end', () => {
    const cp = codePointIndex('Angela Merkel');
    expect(cp.length).toBe(13);
    expect([0, 7, 13].map((o) => cp.toUtf16(o))).toEqual([0, 7, 13]);
    expect([0, 7, 13].map((o) => cp.toCodePoint(o))).toEqual([0, 7, 13]);
    expect([14, -1, 1.5].map((o) => cp.toUtf16(o))).toEqual([null, null, null]);
    expect([14, -1, 1.5].map((o) => cp.toCodePoint(o))).toEqual([null, null, null]);
  });

  it('counts an emoji as one code point and two code units', () => {
    const text = '😀 Angela Merkel';
    const cp = codePointIndex(text);
    expect(cp.length).toBe(15);
    expect(cp.toUtf16(2)).toBe(3);
    expect(cp.toCodePoint(3)).toBe(2);
    expect(text.slice(cp.toUtf16(2)!, cp.toUtf16(15)!)).toBe('Angela Merkel');
    expect(cp.toUtf16(16)).toBeNull();
    expect(cp.toCodePoint(17)).toBeNull();
  });

  it('has no code-point offset inside a surrogate pair', () => {
    const cp = codePointIndex('a😀b');
    expect([0, 1, 2, 3, 4].map((u) => cp.toCodePoint(u))).toEqual([0, 1, null, 2, 3]);
  });

  it('agrees with Python counting at every boundary of mixed text', () => {
    // BMP CJK (one unit each), an astral CJK ideograph and emoji (two each), a combining accent.
    const text = '北京 😀 𠀀 Cafe\u0301 🇩🇪 end';
    const cp = codePointIndex(text);
    expect(cp.length).toBe(Array.from(text).length);
    for (let p = 0; p <= cp.length; p++) {
      const unit = cp.toUtf16(p)!;
      expect(unit).toBe(pythonPrefix(text, p).length);
      expect(cp.toCodePoint(unit)).toBe(p);
    }
  });

  it('counts a lone surrogate as one code point, as the string iterator does', () => {
    const text = 'a\uD800b\uDC00c';
    const cp = codePointIndex(`${text}😀`);
    expect(cp.length).toBe(Array.from(text).length + 1);
    expect([1, 2, 3, 4].map((u) => cp.toCodePoint(u))).toEqual([1, 2, 3, 4]);
  });

  it('converts a span of UTF-16 offsets, and stops on one that cuts a character', () => {
    const cp = codePointIndex('😀 Merkel');
    expect(codePointSpan(cp, [3, 9])).toEqual([2, 8]);
    expect(() => codePointSpan(cp, [1, 9])).toThrow(
      /\[1, 9\) cuts a character or runs past the text \(8 code points\)/,
    );
    expect(() => codePointSpan(cp, [3, 10])).toThrow(RangeError);
  });
});
