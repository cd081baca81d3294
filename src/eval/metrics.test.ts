import { describe, expect, it } from 'vitest';
import { accuracy, relationMacroF1, relationMicro } from './metrics.ts';

describe('relation metrics (TACRED definition)', () => {
  it('ignores no_relation as a class: hand-computed case', () => {
    const gold = ['P1', 'P1', 'P2', 'no_relation', 'no_relation'];
    const pred = ['P1', 'P2', 'no_relation', 'P1', 'no_relation'];
    // guessed = 3 (P1, P2, P1), correct = 1, actual = 3 → P = R = 1/3.
    const m = relationMicro(gold, pred);
    expect(m.precision).toBeCloseTo(1 / 3);
    expect(m.recall).toBeCloseTo(1 / 3);
    expect(m.f1).toBeCloseTo(1 / 3);
  });

  it('macro-averages per-relation F1 over gold relations', () => {
    const gold = ['P1', 'P1', 'P2', 'no_relation'];
    const pred = ['P1', 'no_relation', 'P2', 'P2'];
    // P1: tp 1, fn 1 → P 1, R .5, F 2/3. P2: tp 1, fp 1 → P .5, R 1, F 2/3.
    expect(relationMacroF1(gold, pred)).toBeCloseTo(2 / 3);
  });

  it('is 0, not NaN, with nothing to find', () => {
    expect(relationMicro(['no_relation'], ['no_relation']).f1).toBe(0);
    expect(accuracy([], [])).toBe(0);
  });
});
