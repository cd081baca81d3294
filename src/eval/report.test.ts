import { describe, expect, it } from 'vitest';
import { direction, type TaskResult } from './report.ts';

describe('the report says plainly whether the paper’s direction holds', () => {
  const row = (r: string, combine: string, mean: number) => ({
    key: r,
    row: r,
    label: r,
    combine,
    test: { f1: { mean, std: 0 } },
    perSeed: [],
    seconds: 0,
  });
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
