// Character offsets in the two units that meet in this project: UTF-16 code units, which JavaScript
// strings index and CoreNLP (Java) counts in `characterOffsetBegin`, and Unicode code points, which
// Python and the official OpenEntity / FIGER / K-Adapter files count. The two differ after every
// character outside the Basic Multilingual Plane (emoji, rarer CJK): one code point, two code units.

/** Offsets of one string in both units. Offsets are boundaries: 0 … length, ends included. */
export interface CodePointIndex {
  /** The string's length in code points. */
  readonly length: number;
  /** The UTF-16 offset of code-point offset `point`; null past the end. */
  toUtf16(point: number): number | null;
  /** The code-point offset of UTF-16 offset `unit`; null inside a surrogate pair or past the end. */
  toCodePoint(unit: number): number | null;
}

const PAIR = /[\uD800-\uDBFF][\uDC00-\uDFFF]/;

const between = (code: number, low: number, high: number) => code >= low && code <= high;

const isPairAt = (text: string, unit: number) =>
  between(text.charCodeAt(unit), 0xd800, 0xdbff) && between(text.charCodeAt(unit + 1), 0xdc00, 0xdfff);

const inRange = (offset: number, length: number) => Number.isInteger(offset) && offset >= 0 && offset <= length;

/** A string without surrogate pairs counts the same in both units (ASCII, most text). */
function sameUnits(length: number): CodePointIndex {
  const same = (offset: number) => (inRange(offset, length) ? offset : null);
  return { length, toUtf16: same, toCodePoint: same };
}

/**
 * Both tables are built once per string, so converting every token of a sentence is linear. A lone
 * surrogate counts as one code point, as JavaScript's string iterator counts it.
 */
export function codePointIndex(text: string): CodePointIndex {
  if (!PAIR.test(text)) return sameUnits(text.length);
  // unitOf[p]: the UTF-16 offset of code-point offset p. pointOf[u]: the reverse, -1 inside a pair.
  const unitOf: number[] = [0];
  const pointOf = new Int32Array(text.length + 1).fill(-1);
  for (let unit = 0; unit < text.length;) {
    pointOf[unit] = unitOf.length - 1;
    unit += isPairAt(text, unit) ? 2 : 1;
    unitOf.push(unit);
  }
  const length = unitOf.length - 1;
  pointOf[text.length] = length;
  return {
    length,
    toUtf16: (point) => (inRange(point, length) ? unitOf[point]! : null),
    toCodePoint: (unit) => {
      if (!inRange(unit, text.length)) return null;
      const point = pointOf[unit]!;
      return point < 0 ? null : point;
    },
  };
}

/**
 * A span of UTF-16 offsets (as this project's parses hold them) in code points, for a file. An end
 * that cuts a character in two means the span was never a span of this text: an error, not a skip.
 */
export function codePointSpan(index: CodePointIndex, [start, end]: readonly [number, number]): [number, number] {
  const s = index.toCodePoint(start);
  const e = index.toCodePoint(end);
  if (s === null || e === null) {
    throw new RangeError(
      `UTF-16 span [${start}, ${end}) cuts a character or runs past the text (${index.length} code points)`,
    );
  }
  return [s, e];
}
