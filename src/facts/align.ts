// Distant supervision (as in T-REx): a sentence that mentions both ends of a stored fact becomes an
// example of that relation; two mentioned entities with no fact between them, a `no_relation`
// candidate. Ambiguous mentions count as a fact only when exactly one reading has one.
import type { KgTriple } from '../data/schemas.ts';
import type { AliasIndex, Mention } from './alias-index.ts';
import { predicateRank } from './predicates.ts';

/** Ordered (subject, object) → the preferred predicate between them. */
export class FactLookup {
  private readonly best = new Map<string, string>();
  size = 0;

  add(t: Pick<KgTriple, 'subject' | 'predicate' | 'object'>): void {
    const key = `${t.subject}\u0000${t.object}`;
    const prev = this.best.get(key);
    if (!prev) this.size++;
    if (!prev || predicateRank(t.predicate) < predicateRank(prev)) this.best.set(key, t.predicate);
  }

  get(subject: string, object: string): string | undefined {
    return this.best.get(`${subject}\u0000${object}`);
  }
}

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
  for (const a of mentions) {
    for (const b of mentions) {
      if (a === b) continue;
      const readings: AlignedPair[] = [];
      for (const s of a.ids) {
        for (const o of b.ids) {
          if (s === o) continue;
          const relation = facts.get(s, o);
          if (relation) readings.push({ subj: a, obj: b, subjId: s, objId: o, relation });
        }
      }
      if (readings.length === 1) out.positives.push(readings[0]!);
      else if (readings.length > 1) out.ambiguous++;
      else if (a.ids.length === 1 && b.ids.length === 1 && a.ids[0] !== b.ids[0] && a.start < b.start) {
        // One candidate per unordered pair, and only when neither direction holds a fact.
        if (!facts.get(b.ids[0]!, a.ids[0]!)) out.negatives.push({ subj: a, obj: b, subjId: a.ids[0]!, objId: b.ids[0]!, relation: 'no_relation' });
      }
    }
  }
  return out;
}

export function alignTokens(tokens: string[], index: AliasIndex, facts: FactLookup): SentenceAlignment {
  return alignMentions(index.match(tokens), facts);
}
