// The held-out sets from the annotated sentences: NER typing rows (OpenEntity format) and TACRED
// rows (positives, and no_relation candidates kept in a seeded sample of at most `noRelationRatio`
// per positive of their split), with what was counted on the way and the yield.
import {
  SPLITS,
  type EntityTypingExample,
  type NerKbpSentence,
  type RelationExample,
  type Split,
} from '../../data/schemas.ts';
import { byHashOf, countBy } from '../../util/sample.ts';
import { emptyTypingCounts, nerTypingRows, type TypingCounts } from './ner-types.ts';
import { emptyRelationCounts, relationRows, type RelationCounts } from './tacred.ts';

export interface HeldoutSetOptions {
  noRelationRatio: number;
  /** Seed of the hash order that decides which no_relation candidates are kept. */
  seed: number;
}

export interface HeldoutSets {
  typing: Record<Split, EntityTypingExample[]>;
  relation: Record<Split, RelationExample[]>;
  counts: {
    sentences: Record<Split, number>;
    typing: Record<Split, TypingCounts>;
    relation: Record<Split, RelationCounts>;
    /** Positive rows per TACRED relation and split. */
    positives: Record<Split, Record<string, number>>;
    noRelationCandidates: Record<Split, number>;
    noRelationKept: Record<Split, number>;
  };
  /** Positives per 1000 annotated sentences: per split, and per relation over all splits. */
  yieldPer1000: { bySplit: Record<Split, number>; all: number; byRelation: Record<string, number> };
}

const bySplit = <T>(make: () => T): Record<Split, T> => ({ train: make(), dev: make(), test: make() });
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const per1000 = (n: number, sentences: number) => (sentences === 0 ? 0 : (1000 * n) / sentences);

export async function heldoutSets(
  sentences: AsyncIterable<NerKbpSentence>,
  opts: HeldoutSetOptions,
): Promise<HeldoutSets> {
  const typing = bySplit<EntityTypingExample[]>(() => []);
  const positives = bySplit<RelationExample[]>(() => []);
  const negatives = bySplit<RelationExample[]>(() => []);
  const counts: HeldoutSets['counts'] = {
    sentences: bySplit(() => 0),
    typing: bySplit(emptyTypingCounts),
    relation: bySplit(emptyRelationCounts),
    positives: bySplit(() => ({})),
    noRelationCandidates: bySplit(() => 0),
    noRelationKept: bySplit(() => 0),
  };
  for await (const s of sentences) {
    counts.sentences[s.split]++;
    typing[s.split].push(...nerTypingRows(s, counts.typing[s.split]));
    const rows = relationRows(s, counts.relation[s.split]);
    positives[s.split].push(...rows.positives);
    negatives[s.split].push(...rows.negatives);
  }
  const relation = bySplit<RelationExample[]>(() => []);
  for (const split of SPLITS) {
    const pos = positives[split];
    const cap = Math.floor(pos.length * opts.noRelationRatio);
    const neg = byHashOf(negatives[split], (r) => r.id, `heldout-no-relation-${opts.seed}`).slice(0, cap);
    counts.positives[split] = countBy(pos, (r) => r.relation);
    counts.noRelationCandidates[split] = negatives[split].length;
    counts.noRelationKept[split] = neg.length;
    relation[split] = [...pos, ...neg].sort(byId);
    typing[split].sort(byId);
  }
  const total = (f: (split: Split) => number) => SPLITS.reduce((a, split) => a + f(split), 0);
  const allSentences = total((split) => counts.sentences[split]);
  const allPositives = total((split) => positives[split].length);
  const byRelation = countBy(
    SPLITS.flatMap((split) => positives[split]),
    (r) => r.relation,
  );
  return {
    typing,
    relation,
    counts,
    yieldPer1000: {
      bySplit: Object.fromEntries(
        SPLITS.map((split) => [split, per1000(positives[split].length, counts.sentences[split])]),
      ) as Record<Split, number>,
      all: per1000(allPositives, allSentences),
      byRelation: Object.fromEntries(Object.entries(byRelation).map(([r, n]) => [r, per1000(n, allSentences)])),
    },
  };
}
