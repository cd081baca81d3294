// Downstream examples → model inputs: token ids, the positions to pool, and the labels.
//   entity typing  "@" before and after the mention, pooled at the first "@", multi-label
//   relation       "@"/"#" around subject/object (as the factual head), pooled at both
//   POS probe      every word's first subword, one tag each (Brown's gold tags)
import type { DependencyExample } from '../data/schemas.ts';
import { encodeRelation, SUBJ_MARKER, type RelationSpans, type Skips } from '../kadapter/examples.ts';
import type { BaseTokenizer } from '../kadapter/tokenizer.ts';
import { loadTacred, loadTyping, type TypingExample } from './formats.ts';

import type { DownstreamTask } from '../data/composition.ts';

export type { DownstreamTask };

export interface TaskExample {
  id: string;
  ids: number[];
  /** Positions pooled: [@] for typing, [@, #] for relations, every word for POS. */
  positions: number[];
  /** Gold labels as strings: the label set (typing), [relation], or one tag per position (POS). */
  gold: string[];
}

const count = (skips: Skips, reason: string) => (skips[reason] = (skips[reason] ?? 0) + 1);
const words = (s: string) => s.split(/\s+/).filter((w) => w.length > 0);

export function encodeTyping(
  row: TypingExample,
  index: number,
  tok: BaseTokenizer,
  maxLength: number,
  skips: Skips,
): TaskExample | null {
  const [start, end] = row.utf16Span;
  const before = words(row.sent.slice(0, start));
  const mention = words(row.sent.slice(start, end));
  if (mention.length === 0) return (count(skips, 'empty mention'), null);
  const all = [...before, SUBJ_MARKER, ...mention, SUBJ_MARKER, ...words(row.sent.slice(end))];
  const enc = tok.encodeWords(all, maxLength);
  const at = enc.firstSubword[before.length]!;
  if (at < 0) return (count(skips, 'mention cut by maxLength'), null);
  return { id: String(row.id ?? index), ids: enc.ids, positions: [at], gold: [...new Set(row.labels)] };
}

export function encodeRelationRow(
  row: RelationSpans,
  tok: BaseTokenizer,
  maxLength: number,
  skips: Skips,
): TaskExample | null {
  // Labels are strings here: any relation is encodable; the label set comes from the training file.
  const e = encodeRelation(row, tok, new Map([[row.relation, 0]]), maxLength, skips);
  return e ? { id: e.id, ids: e.ids, positions: [e.subj, e.obj], gold: [row.relation] } : null;
}

export function encodePos(
  ex: DependencyExample,
  tok: BaseTokenizer,
  maxLength: number,
  skips: Skips,
): TaskExample | null {
  if (!ex.gold_pos || ex.gold_pos.length !== ex.tokens.length) return (count(skips, 'no gold POS tags'), null);
  const enc = tok.encodeWords(ex.tokens, maxLength);
  const kept = enc.firstSubword.filter((p) => p >= 0).length;
  if (kept < ex.tokens.length) count(skips, 'sentences cut by maxLength');
  if (kept === 0) return null;
  return { id: ex.id, ids: enc.ids, positions: enc.firstSubword.slice(0, kept), gold: ex.gold_pos.slice(0, kept) };
}

/**
 * A whole file in the standard format of an entity-typing or relation task, encoded; skips counted.
 * (Scoring a file with a trained row; the evaluation's own splits are filtered and sampled by
 * loadDownstreamData, src/eval/downstream-data.ts.)
 */
export function encodeTaskFile(
  task: 'entity-typing' | 'relation',
  file: string,
  tok: BaseTokenizer,
  maxLength: number,
  skips: Skips,
): TaskExample[] {
  const out: TaskExample[] = [];
  if (task === 'relation') {
    const { rows, skipped } = loadTacred(file);
    Object.assign(skips, skipped);
    for (const r of rows) {
      const e = encodeRelationRow(r, tok, maxLength, skips);
      if (e) out.push(e);
    }
  } else {
    const { rows, skipped } = loadTyping(file);
    Object.assign(skips, skipped);
    for (const [i, r] of rows.entries()) {
      const e = encodeTyping(r, i, tok, maxLength, skips);
      if (e) out.push(e);
    }
  }
  return out;
}

/** Gold labels of examples that are not among the labels a model was trained on, with counts. */
export function unseenLabels(examples: TaskExample[], labels: string[]): Record<string, number> {
  const known = new Set(labels);
  const unseen: Record<string, number> = {};
  for (const e of examples) for (const g of e.gold) if (!known.has(g)) unseen[g] = (unseen[g] ?? 0) + 1;
  return unseen;
}
