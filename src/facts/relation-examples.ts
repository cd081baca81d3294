// The aligned pairs as relation examples, each placed by its sentence's dependency split and its
// entity pair (src/facts/split.ts, the rule of src/data/splits.ts); relations with too few adapter
// examples are dropped. No downstream dev/test row is in a sentence any adapter trains on; no pair
// is in two files.
import type { RelationExample, Split } from '../data/schemas.ts';
import type { SentencePair } from './align-sentences.ts';
import { placeExamples, type LeftOut, type RelationSet } from './split.ts';

/** Examples per set (adapter: facts/, downstream: facts/downstream/) and split. */
export type RelationBuckets = Record<RelationSet, Record<Split, RelationExample[]>>;

export interface PlacedRelations {
  /** The examples of the relations kept. */
  positives: RelationBuckets;
  /** Every placed no_relation candidate (capped when written). */
  negatives: RelationBuckets;
  /** Relations with at least `minExamplesPerRelation` adapter examples. */
  kept: Set<string>;
  /** Adapter examples of each relation dropped. */
  dropped: Record<string, number>;
  /** Downstream examples of each relation dropped. */
  droppedDownstream: Record<string, number>;
  /** Examples the split rule left out, positives and no_relation alike. */
  leftOut: LeftOut;
}

function coarseType(types: string[] | undefined): string {
  const specific = (types ?? []).map((t) => t.split('/')[0]!).find((t) => t !== 'entity');
  return (specific ?? 'entity').toUpperCase();
}

const emptyBuckets = (): RelationBuckets => ({
  adapter: { train: [], dev: [], test: [] },
  downstream: { train: [], dev: [], test: [] },
});

export function placeRelationExamples(
  positives: SentencePair[],
  negatives: SentencePair[],
  typesOf: (entityId: string) => string[] | undefined,
  params: { downstreamShare: number; minExamplesPerRelation: number },
): PlacedRelations {
  const toExample = ({ pair, s }: SentencePair): RelationExample => ({
    id: `${s.id}:${pair.subj.start}-${pair.obj.start}`,
    source: s.glossOf ? 'wordnet-gloss' : s.source,
    sentence_id: s.id,
    token: s.tokens,
    subj_start: pair.subj.start,
    subj_end: pair.subj.end,
    obj_start: pair.obj.start,
    obj_end: pair.obj.end,
    subj_type: coarseType(typesOf(pair.subjId)),
    obj_type: coarseType(typesOf(pair.objId)),
    relation: pair.relation,
    subj_id: pair.subjId,
    obj_id: pair.objId,
  });
  const unplaced = (list: typeof positives) =>
    list.map((e) => ({ subjId: e.pair.subjId, objId: e.pair.objId, sentenceSplit: e.s.split }));
  const { places, leftOut } = placeExamples([unplaced(positives), unplaced(negatives)], params.downstreamShare);
  const placed = (list: typeof positives, at: (typeof places)[number]) =>
    list.flatMap((e, i) => (at[i] ? [{ ...e, ...at[i] }] : []));
  const placedPositives = placed(positives, places[0]!);
  const perRelation: Record<string, number> = {};
  for (const p of placedPositives) {
    if (p.set === 'adapter') perRelation[p.pair.relation] = (perRelation[p.pair.relation] ?? 0) + 1;
  }
  const kept = new Set(
    Object.entries(perRelation)
      .filter(([, n]) => n >= params.minExamplesPerRelation)
      .map(([r]) => r),
  );
  const dropped = Object.fromEntries(Object.entries(perRelation).filter(([r]) => !kept.has(r)));
  const buckets = emptyBuckets();
  const droppedDownstream: Record<string, number> = {};
  for (const p of placedPositives) {
    if (!kept.has(p.pair.relation)) {
      if (p.set === 'downstream') droppedDownstream[p.pair.relation] = (droppedDownstream[p.pair.relation] ?? 0) + 1;
      continue;
    }
    buckets[p.set][p.split].push(toExample(p));
  }
  const negativesBy = emptyBuckets();
  for (const n of placed(negatives, places[1]!)) negativesBy[n.set][n.split].push(toExample(n));
  return { positives: buckets, negatives: negativesBy, kept, dropped, droppedDownstream, leftOut };
}
