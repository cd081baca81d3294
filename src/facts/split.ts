// Where an aligned relation example goes: the factual adapter's data, the downstream relation task,
// or nowhere. The rule (src/data/splits.ts) follows the sentence's dependency split and the entity
// pair:
//   - adapter pairs (1 − downstreamShare of unordered entity pairs, by hash) make facts/{train,
//     dev,test}.jsonl (80/10/10 by pair), from dependency-TRAIN sentences only; in a dependency
//     dev/test sentence they are left out;
//   - downstream pairs make facts/downstream/<split>, <split> being the sentence's dependency split;
//     a pair belongs to one split only, the most held out of those it occurs in (test, then dev,
//     then train), and its examples in other splits' sentences are left out.
// So no downstream dev/test example is in a sentence that any adapter (or the linguistic adapter's
// dependency train data) holds, and no entity pair is in two files.
import { createHash } from 'node:crypto';
import type { Split } from '../data/schemas.ts';
import { unitOf } from '../util/sample.ts';

export type RelationSet = 'adapter' | 'downstream';

/** Adapter split or the downstream hold-out, from the unordered entity pair. */
export function pairSplit(a: string, b: string, downstreamShare: number): { set: RelationSet; split: Split } {
  const [x, y] = a < b ? [a, b] : [b, a];
  const h = createHash('sha256').update(`${x}\u0000${y}`).digest('hex');
  const u = unitOf(h.slice(8, 16));
  return {
    set: unitOf(h.slice(0, 8)) < downstreamShare ? 'downstream' : 'adapter',
    split: u < 0.8 ? 'train' : u < 0.9 ? 'dev' : 'test',
  };
}

/** An example to place: its entity pair and the dependency split of its sentence. */
export interface Unplaced {
  subjId: string;
  objId: string;
  sentenceSplit: Split;
}

/** Examples the rule leaves out, by reason. */
export interface LeftOut {
  adapterPairInDevOrTestSentence: number;
  downstreamPairHeldOutInAnotherSplit: number;
}

const HELD_OUT: Record<Split, number> = { train: 0, dev: 1, test: 2 };
const pairKey = (e: Unplaced) => (e.subjId < e.objId ? `${e.subjId}\u0000${e.objId}` : `${e.objId}\u0000${e.subjId}`);

/**
 * Places every example of the given lists (positives and no_relation candidates: one pass over
 * all of them decides which split owns a downstream pair). Returns, per list and in its order,
 * each example's place or null, and the counts of those left out.
 */
export function placeExamples<T extends Unplaced>(
  lists: T[][],
  downstreamShare: number,
): { places: ({ set: RelationSet; split: Split } | null)[][]; leftOut: LeftOut } {
  const owner = new Map<string, Split>();
  for (const list of lists) {
    for (const e of list) {
      if (pairSplit(e.subjId, e.objId, downstreamShare).set !== 'downstream') continue;
      const k = pairKey(e);
      const had = owner.get(k);
      if (had === undefined || HELD_OUT[e.sentenceSplit] > HELD_OUT[had]) owner.set(k, e.sentenceSplit);
    }
  }
  const leftOut: LeftOut = { adapterPairInDevOrTestSentence: 0, downstreamPairHeldOutInAnotherSplit: 0 };
  const places = lists.map((list) =>
    list.map((e) => {
      const { set, split } = pairSplit(e.subjId, e.objId, downstreamShare);
      if (set === 'adapter') {
        if (e.sentenceSplit === 'train') return { set, split };
        leftOut.adapterPairInDevOrTestSentence++;
        return null;
      }
      if (owner.get(pairKey(e)) === e.sentenceSplit) return { set, split: e.sentenceSplit };
      leftOut.downstreamPairHeldOutInAnotherSplit++;
      return null;
    }),
  );
  return { places, leftOut };
}
