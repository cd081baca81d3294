import { describe, expect, it } from 'vitest';
import { BottomK, byHashOf, countBy, sampleRank, sampleStream } from './sample.ts';

const ids = Array.from({ length: 500 }, (_, i) => `row-${i}`);
const sample = async (rows: string[], cap: number | null, seed: number | string) =>
  (await sampleStream(rows, { cap, seed, idOf: (r) => r, make: (r) => r })).items;

/** A seeded permutation (a different order of the same rows). */
const permuted = (rows: string[], seed: number) => byHashOf(rows, (r) => r, `permute-${seed}`);

describe('seeded hash-ordered samples', () => {
  it('keeps the same rows in the same order for the same seed', async () => {
    const a = await sample(ids, 50, 1);
    expect(a).toHaveLength(50);
    expect(new Set(a).size).toBe(50);
    expect(await sample(ids, 50, 1)).toEqual(a);
  });

  it('keeps other rows for another seed', async () => {
    const a = new Set(await sample(ids, 50, 1));
    const b = await sample(ids, 50, 2);
    const common = b.filter((r) => a.has(r)).length;
    // Two independent 10% samples of 500 share ~5 rows; 50 would be the same sample.
    expect(common).toBeLessThan(20);
  });

  it('keeps every row when the cap is at least the number of rows, or null', async () => {
    for (const cap of [500, 501, 10_000, null]) {
      const all = await sample(ids, cap, 7);
      expect(all).toHaveLength(500);
      expect(new Set(all)).toEqual(new Set(ids));
      // …in the seeded order, not the file's.
      expect(all).toEqual(byHashOf(ids, (r) => r, 7));
      expect(all).not.toEqual(ids);
    }
  });

  it('does not depend on the order the rows come in', async () => {
    const a = await sample(ids, 40, 3);
    for (const seed of [1, 2, 3]) expect(await sample(permuted(ids, seed), 40, 3)).toEqual(a);
    expect(await sample([...ids].reverse(), 40, 3)).toEqual(a);
  });

  it('is the rows of smallest rank, which is no prefix of the file', async () => {
    const a = await sample(ids, 25, 'x');
    const ranked = [...ids].sort((p, q) => (sampleRank('x', p) < sampleRank('x', q) ? -1 : 1));
    expect(a).toEqual(ranked.slice(0, 25));
    expect(a.filter((r) => ids.indexOf(r) < 25).length).toBeLessThan(10);
  });

  it('skips unusable rows and still fills the cap from the next ranks; makes only rows that can get in', async () => {
    let made = 0;
    const unusable = (r: string) => Number(r.split('-')[1]) % 3 === 0;
    const { items, offered } = await sampleStream(ids, {
      cap: 30,
      seed: 5,
      idOf: (r) => r,
      make: (r) => (made++, unusable(r) ? null : r),
    });
    expect(offered).toBe(500);
    expect(items).toEqual(
      byHashOf(
        ids.filter((r) => !unusable(r)),
        (r) => r,
        5,
      ).slice(0, 30),
    );
    // About cap·(1 + ln(n/cap)) ≈ 30·3.8 rows need making, far fewer than all 500.
    expect(made).toBeLessThan(250);
  });

  it('streams async rows and holds at most the cap', async () => {
    async function* rows() {
      for (const id of ids) yield { id, payload: id.length };
    }
    const heap = new BottomK<string>(10);
    for await (const r of rows()) heap.offer(sampleRank(1, r.id), r.id, r.id);
    expect(heap.length).toBe(10);
    expect(heap.sorted()).toEqual(await sample(ids, 10, 1));
    const { items } = await sampleStream(rows(), { cap: 10, seed: 1, idOf: (r) => r.id, make: (r) => r.id });
    expect(items).toEqual(heap.sorted());
  });

  it('keeps nothing with a cap of 0 and counts by key', async () => {
    expect(await sample(ids, 0, 1)).toEqual([]);
    expect(countBy(['b', 'a', 'b'], (x) => x)).toEqual({ a: 1, b: 2 });
    expect(Object.keys(countBy(['b', 'a', 'c'], (x) => x))).toEqual(['a', 'b', 'c']);
  });
});
