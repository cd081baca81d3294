// Distant supervision (as in T-REx): a sentence that mentions both ends of a stored fact becomes an
// example of that relation; two mentioned entities with no fact between them, a `no_relation`
// candidate. Ambiguous mentions count as a fact only when exactly one reading has one.
import type { KgTriple } from '../data/schemas.ts';
import type { Mention } from './alias-index.ts';
import { predicateRank } from './predicates.ts';

/** Ordered (subject, object) → the preferred predicate between them, kept as out-edges per subject. */
export class FactLookup {
  private readonly out = new Map<string, Map<string, string>>();
  size = 0;

  add(t: Pick<KgTriple, 'subject' | 'predicate' | 'object'>): void {
    let edges = this.out.get(t.subject);
    if (!edges) this.out.set(t.subject, (edges = new Map()));
    const prev = edges.get(t.object);
    if (!prev) this.size++;
    if (!prev || predicateRank(t.predicate) < predicateRank(prev)) edges.set(t.object, t.predicate);
  }

  get(subject: string, object: string): string | undefined {
    return this.out.get(subject)?.get(object);
  }

  /** Objects and predicates of one subject's facts. */
  from(subject: string): ReadonlyMap<string, string> {
    return this.out.get(subject) ?? EMPTY;
  }
}

const EMPTY: ReadonlyMap<string, string> = new Map();

export interface AlignedPair {
  subj: Mention;
  obj: Mention;
  subjId: string;
  objId: string;
  relation: string;
}

export interface SentenceAlignment {
  mentions: Mention[];
  positives: AlignedPair[];
  negatives: AlignedPair[];
  /** Pairs with facts under more than one reading of their mentions. */
  ambiguous: number;
}

export function alignMentions(mentions: Mention[], facts: FactLookup): SentenceAlignment {
  const out: SentenceAlignment = { mentions, positives: [], negatives: [], ambiguous: 0 };
  // Walk each reading's out-edges to the other mentions: the cost follows the facts present, not
  // the square of the readings (a common word has a dozen senses).
  const byId = new Map<string, number[]>();
  mentions.forEach((m, j) => m.ids.forEach((id) => byId.set(id, [...(byId.get(id) ?? []), j])));
  const readings = new Map<number, AlignedPair[]>();
  mentions.forEach((a, i) => {
    for (const s of a.ids) {
      for (const [o, relation] of facts.from(s)) {
        for (const j of byId.get(o) ?? []) {
          // The same word twice ("come … come") is two senses of one lemma, not two entities.
          if (j === i || s === o || mentions[j]!.ids.some((id) => a.ids.includes(id))) continue;
          const key = i * mentions.length + j;
          const list = readings.get(key) ?? [];
          list.push({ subj: a, obj: mentions[j]!, subjId: s, objId: o, relation });
          readings.set(key, list);
        }
      }
    }
  });
  for (const [, list] of [...readings].sort(([x], [y]) => x - y)) {
    if (list.length === 1) out.positives.push(list[0]!);
    else out.ambiguous++;
  }
  // One no_relation candidate per unordered pair of unambiguous mentions with no fact either way.
  mentions.forEach((a, i) => {
    mentions.forEach((b, j) => {
      if (j <= i || a.ids.length !== 1 || b.ids.length !== 1) return;
      const [s, o] = [a.ids[0]!, b.ids[0]!];
      if (s === o || readings.has(i * mentions.length + j) || readings.has(j * mentions.length + i)) return;
      out.negatives.push({ subj: a, obj: b, subjId: s, objId: o, relation: 'no_relation' });
    });
  });
  return out;
}
