import { describe, expect, it } from 'vitest';
import { direction, type TaskResult } from '../src/eval/report.ts';
import type { TaskExample } from '../src/eval/tasks.ts';
import { perRelationSubset } from './evaluate.ts';

const ex = (rel: string, i: number): TaskExample => ({ id: `${rel}-${i}`, ids: [0, 1], positions: [1, 1], gold: [rel] });

describe('data efficiency subsets', () => {
  it('keeps at most k examples of each relation, the same for the same seed', () => {
    const examples = [...Array.from({ length: 30 }, (_, i) => ex('P1', i)), ...Array.from({ length: 4 }, (_, i) => ex('P2', i)), ...Array.from({ length: 12 }, (_, i) => ex('no_relation', i))];
    const idx = perRelationSubset(examples, 10, 3);
    const count = (rel: string) => idx.filter((i) => examples[i]!.gold[0] === rel).length;
    expect([count('P1'), count('P2'), count('no_relation')]).toEqual([10, 4, 10]);
    expect(perRelationSubset(examples, 10, 3)).toEqual(idx);
    expect(perRelationSubset(examples, 10, 4)).not.toEqual(idx);
  });
});

describe('the report says plainly whether the paper’s direction holds', () => {
  const row = (r: string, combine: string, mean: number) => ({ key: r, row: r, label: r, combine, test: { f1: { mean, std: 0 } }, perSeed: [], seconds: 0 });
  const task = (fl: number, low: number): TaskResult => ({
    source: '',
    metric: 'f1',
    labels: 2,
    examples: {},
    skipped: {},
    droppedAsSeenInPretraining: {},
    unseenTestLabels: {},
    poolSeconds: 0,
    rows: [row('base', '—', 0.5), row('random', 'concat', 0.52), row('FL', 'concat', fl)],
    bootstrap: { 'FL-concat − base': { low, high: 0.1 } },
    efficiency: [],
  });
  it('holds when F+L beats the base (interval above zero) and the random control', () => {
    expect(direction(task(0.56, 0.01)).at(-1)).toMatch(/holds here/);
  });
  it('does not hold when the interval reaches zero or random adapters do as well', () => {
    expect(direction(task(0.56, -0.01)).at(-1)).toMatch(/not distinguishable from zero/);
    expect(direction(task(0.51, 0.001)).at(-1)).toMatch(/do not beat the random-adapter control/);
    // A gap smaller than the seeds' spread is noise.
    const noisy = task(0.53, 0.001);
    noisy.rows[1]!.test.f1!.std = 0.02;
    expect(direction(noisy).at(-1)).toMatch(/beyond seed noise/);
  });
});
