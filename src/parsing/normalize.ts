// Text cleaning before parsing. Every line either comes out normalised or is skipped with a
// reason that the manifest counts: nothing is dropped silently.

export type SkipReason =
  'empty' | 'invalid-utf8' | 'control-characters' | 'not-latin-script' | 'too-short' | 'too-long' | 'duplicate';

export interface LengthBounds {
  minWords: number;
  maxWords: number;
  maxChars: number;
}

export const DEFAULT_BOUNDS: LengthBounds = { minWords: 3, maxWords: 100, maxChars: 1000 };

export type Normalized = { ok: true; text: string } | { ok: false; reason: SkipReason };

// C0 and C1 controls other than tab, newline and carriage return (those become spaces).
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const LETTER = /\p{L}/gu;
const LATIN_LETTER = /\p{Script=Latin}/gu;

/** NFC, one space for any run of white space, trimmed. */
export function normalizeWhitespace(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

/**
 * What makes a whole line (a paragraph, before it is split into sentences) unusable: bytes that
 * were not valid UTF-8, or control characters. Checked on the line, not only on its sentences,
 * because the sentence splitter drops such characters at a sentence's edges, where they would
 * otherwise vanish uncounted. One count per line, however many such sequences it holds.
 */
export function lineProblem(text: string): SkipReason | null {
  if (text.includes('\uFFFD')) return 'invalid-utf8';
  if (CONTROL.test(text)) return 'control-characters';
  return null;
}

export function normalizeSentence(raw: string, bounds: LengthBounds = DEFAULT_BOUNDS): Normalized {
  // U+FFFD is what a decoder leaves where the bytes were not valid UTF-8.
  if (raw.includes('\uFFFD')) return { ok: false, reason: 'invalid-utf8' };
  if (CONTROL.test(raw)) return { ok: false, reason: 'control-characters' };
  const text = normalizeWhitespace(raw);
  if (text.length === 0) return { ok: false, reason: 'empty' };
  if (text.length > bounds.maxChars) return { ok: false, reason: 'too-long' };
  const letters = text.match(LETTER)?.length ?? 0;
  const latin = text.match(LATIN_LETTER)?.length ?? 0;
  // English parsing models on text that is mostly another script give noise, not syntax.
  if (letters > 0 && latin / letters < 0.8) return { ok: false, reason: 'not-latin-script' };
  const words = text.split(' ').length;
  if (words < bounds.minWords || letters === 0) return { ok: false, reason: 'too-short' };
  if (words > bounds.maxWords) return { ok: false, reason: 'too-long' };
  return { ok: true, text };
}
