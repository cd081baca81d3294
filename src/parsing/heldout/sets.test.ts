import { describe, expect, it } from 'vitest';
import type { NerKbpSentence } from '../../data/schemas.ts';
import { joeSmith } from '../../../test/fixtures/heldout/sentences.ts';
import { heldoutSets } from './sets.ts';

async function* each(sentences: NerKbpSentence[]): AsyncIterable<NerKbpSentence> {
  yield* sentences;
}

const sentences = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    joeSmith({ id: `s-${String(i).padStart(3, '0')}`, split: i % 2 === 0 ? 'dev' : 'train' }),
  );

describe('the held-out sets', () => {
  it('caps no_relation per split at the ratio, by a seeded sample, and measures the yield', async () => {
    const sets = await heldoutSets(each(sentences(10)), { noRelationRatio: 1, seed: 1 });
    // Each sentence: 3 relation rows, 5 no_relation candidates.
    expect(sets.counts.sentences).toEqual({ train: 5, dev: 5, test: 0 });
    expect(sets.counts.noRelationCandidates).toEqual({ train: 25, dev: 25, test: 0 });
    expect(sets.counts.noRelationKept).toEqual({ train: 15, dev: 15, test: 0 });
    expect(sets.relation.dev).toHaveLength(30);
    expect(sets.counts.positives.dev).toEqual({
      'org:top_members/employees': 5,
      'per:employee_of': 5,
      'per:title': 5,
    });
    expect(sets.yieldPer1000.bySplit).toEqual({ train: 3000, dev: 3000, test: 0 });
    expect(sets.yieldPer1000.byRelation['per:title']).toBe(1000);
    expect(sets.typing.dev).toHaveLength(25);
    const ids = sets.relation.dev.map((r) => r.id);
    expect(ids).toEqual([...ids].sort());
    // The same seed keeps the same rows, another seed others; never the first of the file.
    const again = await heldoutSets(each(sentences(10).reverse()), { noRelationRatio: 1, seed: 1 });
    expect(again.relation).toEqual(sets.relation);
    const other = await heldoutSets(each(sentences(10)), { noRelationRatio: 1, seed: 2 });
    expect(other.relation.dev).not.toEqual(sets.relation.dev);
  });
});
