// Which task seeds each run of a row trains with.
import { describe, expect, it } from 'vitest';
import type { Row } from '../data/composition.ts';
import { seedsOf } from './matrix.ts';

const row = (replicate?: number) =>
  ({ id: 'FL', label: 'K-Adapter F+L', base: 'base', components: [], combine: 'concat', replicate }) as Row;

describe('seeds of a run', () => {
  it('trains every replicate with every seed under `all`', () => {
    expect(seedsOf({ seeds: [1, 2, 3], replicateSeeds: 'all' }, row(2), 3)).toEqual([1, 2, 3]);
  });

  it('pairs replicate r with the r-th seed under `paired`, wrapping when there are more replicates', () => {
    const o = { seeds: [1, 2, 3], replicateSeeds: 'paired' as const };
    expect([1, 2, 3].map((r) => seedsOf(o, row(r), 3))).toEqual([[1], [2], [3]]);
    expect(seedsOf(o, row(4), 4)).toEqual([1]);
  });

  it('keeps every seed for a row with one set of weights, paired or not', () => {
    const o = { seeds: [1, 2, 3], replicateSeeds: 'paired' as const };
    expect(seedsOf(o, row(), 1)).toEqual([1, 2, 3]);
    // The ablation's first-seed rows: one replicate, every seed.
    expect(seedsOf(o, row(1), 1)).toEqual([1, 2, 3]);
  });
});
