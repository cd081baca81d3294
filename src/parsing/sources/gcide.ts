// GCIDE (the Collaborative International Dictionary of English, Webster 1913 plus additions), as
// Debian's dict-gcide ships it for dictd. Its definitions and the quotations that illustrate them
// are real English prose; the full profile needs them to pass a million sentences.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { debianPackageVersion } from '../../util/package-files.ts';
import type { RawText, SentenceSource } from './types.ts';

export const GCIDE_DIR = process.env.KADAPTER_GCIDE_DIR ?? '/usr/share/dictd';
const INSTALL_HINT = 'install it with `npm run setup:sources` (Debian package dict-gcide)';

/** dictd's index numbers: base64 digits, most significant first. */
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
export function dictdNumber(s: string): number {
  let n = 0;
  for (const c of s) {
    const d = B64.indexOf(c);
    if (d < 0) throw new Error(`bad dictd number "${s}"`);
    n = n * 64 + d;
  }
  return n;
}

/**
 * The prose of one entry, as paragraphs: the headword line, pronunciations, etymologies and
 * editorial tags in brackets, authorities ("--Shak.") and sense numbers go; braces keep their words.
 */
export function entryParagraphs(entry: string): string[] {
  const out: string[] = [];
  for (const para of withoutHeadword(entry)
    .replace(/\[[^\]]*\]/g, ' ') // [etymology], [1913 Webster], [R.], [Obs.]
    .replace(/\\[^\\\n]*\\/g, ' ') // run-in pronunciations
    .replace(/[{}]/g, '')
    .split(/\n\s*\n/)) {
    const text = para
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/\s--\s?[A-Z][^"]*$/, '') // trailing authority: --Shak., --Milton. P. L.
      .replace(/^(?:\d+\.\s*)?(?:\([A-Z][\w. &]*\)\s*)*/, '') // "2. (Zool.) "
      .replace(/^--\s*/, '')
      .trim();
    if (/[a-z]/.test(text)) out.push(text);
  }
  return out;
}

/**
 * The entry without its headword block: the first line, and the lines after it that continue it —
 * inside an open bracket or parenthesis, or starting in lower case — up to the first body line.
 */
function withoutHeadword(entry: string): string {
  const lines = entry.split('\n');
  let depth = 0;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (i > 0 && depth <= 0 && /^\s*[A-Z0-9"]/.test(line)) break;
    if (i > 0 && line.trim() === '') break;
    for (const c of line) depth += c === '[' || c === '(' ? 1 : c === ']' || c === ')' ? -1 : 0;
  }
  return lines.slice(i).join('\n');
}

export const gcide: SentenceSource = {
  id: 'gcide',
  version: () => debianPackageVersion('dict-gcide'),
  async *records(): AsyncIterable<RawText> {
    const index = `${GCIDE_DIR}/gcide.index`;
    const dict = `${GCIDE_DIR}/gcide.dict.dz`;
    if (!fs.existsSync(index) || !fs.existsSync(dict))
      throw new Error(`GCIDE not found in ${GCIDE_DIR}: ${INSTALL_HINT}`);
    // dictzip is gzip with a random-access table in an extra field; plain gunzip reads it whole.
    const text = zlib.gunzipSync(fs.readFileSync(dict));
    const seen = new Set<number>();
    for (const line of fs.readFileSync(index, 'utf8').split('\n')) {
      const [word, off, len] = line.split('\t');
      if (!word || !off || !len || word.startsWith('00-')) continue;
      const start = dictdNumber(off);
      if (seen.has(start)) continue; // several headwords share one entry
      seen.add(start);
      const entry = text.subarray(start, start + dictdNumber(len)).toString('utf8');
      for (const para of entryParagraphs(entry)) yield { source: 'gcide', doc: word, kind: 'paragraph', text: para };
    }
  },
};
