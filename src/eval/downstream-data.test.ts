import { describe, expect, it } from 'vitest';
import { perRelationSubset } from './downstream-data.ts';
import type { TaskExample } from './tasks.ts';

const ex = (rel: string, i: number): TaskExample => ({
  id: `${rel}-${i}`,
  ids: [0, 1],
  positions: [1, 1],
  gold: [rel],
});

describe('data efficiency subsets', () => {
  it('keeps at most k examples of each relation, the same for the same seed', () => {
    const examples = [
      ...Array.from({ length: 30 }, (_, i) => ex('P1', i)),
      ...Array.from({ length: 4 }, (_, i) => ex('P2', i)),
      ...Array.from({ length: 12 }, (_, i) => ex('no_relation', i)),
    ];
    const idx = perRelationSubset(examples, 10, 3);
    const count = (rel: string) => idx.filter((i) => examples[i]!.gold[0] === rel).length;
    expect([count('P1'), count('P2'), count('no_relation')]).toEqual([10, 4, 10]);
    expect(perRelationSubset(examples, 10, 3)).toEqual(idx);
    expect(perRelationSubset(examples, 10, 4)).not.toEqual(idx);
  });
});
