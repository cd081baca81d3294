// Data examples → what the model reads: word-level encoding with the K-Adapter conventions.
// Every example that cannot be encoded faithfully is skipped with a counted reason, never given a
// wrong label.
import type { DependencyExample, EncodedDependency, EncodedRelation, RelationExample } from '../data/schemas.ts';
import type { BaseTokenizer } from './tokenizer.ts';

export const SUBJ_MARKER = '@';
export const OBJ_MARKER = '#';

export type Skips = Record<string, number>;

function skip(skips: Skips, reason: string): null {
  skips[reason] = (skips[reason] ?? 0) + 1;
  return null;
}

/** The fields of a TACRED / T-REx-rc row that relation encoding reads. */
export type RelationSpans = Pick<
  RelationExample,
  'id' | 'token' | 'subj_start' | 'subj_end' | 'obj_start' | 'obj_end' | 'relation'
>;

/** Words with "@" around the subject span and "#" around the object span (TACRED spans, inclusive). */
export function markRelation(ex: RelationSpans): { words: string[]; subjWord: number; objWord: number } {
  const words: string[] = [];
  let subjWord = -1;
  let objWord = -1;
  ex.token.forEach((t, i) => {
    if (i === ex.subj_start) {
      subjWord = words.length;
      words.push(SUBJ_MARKER);
    }
    if (i === ex.obj_start) {
      objWord = words.length;
      words.push(OBJ_MARKER);
    }
    words.push(t);
    if (i === ex.subj_end) words.push(SUBJ_MARKER);
    if (i === ex.obj_end) words.push(OBJ_MARKER);
  });
  return { words, subjWord, objWord };
}

export function encodeRelation(
  ex: RelationSpans,
  tok: BaseTokenizer,
  labels: Map<string, number>,
  maxLength: number,
  skips: Skips,
): EncodedRelation | null {
  const n = ex.token.length;
  if (!(ex.subj_start <= ex.subj_end && ex.subj_end < n && ex.obj_start <= ex.obj_end && ex.obj_end < n))
    return skip(skips, 'span out of range');
  if (ex.subj_start <= ex.obj_end && ex.obj_start <= ex.subj_end) return skip(skips, 'subject and object overlap');
  const label = labels.get(ex.relation);
  if (label === undefined) return skip(skips, `relation not in relations.json: ${ex.relation}`);
  const { words, subjWord, objWord } = markRelation(ex);
  const enc = tok.encodeWords(words, maxLength);
  const subj = enc.firstSubword[subjWord]!;
  const obj = enc.firstSubword[objWord]!;
  if (subj < 0 || obj < 0) return skip(skips, 'marker cut by maxLength');
  return { task: 'relation', id: ex.id, ids: enc.ids, label, subj, obj };
}

export function encodeDependency(
  ex: Pick<DependencyExample, 'id' | 'tokens' | 'heads'>,
  tok: BaseTokenizer,
  maxLength: number,
  skips: Skips,
): EncodedDependency | null {
  const n = ex.tokens.length;
  if (ex.heads.length !== n) return skip(skips, 'heads and tokens differ in length');
  if (ex.heads.some((h) => h < 0 || h > n)) return skip(skips, 'head index out of range');
  const enc = tok.encodeWords(ex.tokens, maxLength);
  const kept = enc.firstSubword.filter((p) => p >= 0).length;
  if (kept === 0) return skip(skips, 'no word fits maxLength');
  if (kept < n) skips['words cut by maxLength'] = (skips['words cut by maxLength'] ?? 0) + (n - kept);
  const firsts = enc.firstSubword.slice(0, kept);
  const heads = ex.heads.slice(0, kept).map((h) => (h === 0 ? 0 : (enc.firstSubword[h - 1] ?? -1)));
  const cutHeads = heads.filter((h) => h < 0).length;
  if (cutHeads > 0)
    skips['heads cut by maxLength (label masked)'] = (skips['heads cut by maxLength (label masked)'] ?? 0) + cutHeads;
  return { task: 'dependency', id: ex.id, ids: enc.ids, firsts, heads };
}
