import { describe, expect, it } from 'vitest';
import {
  accuracy,
  looseMacro,
  looseMicro,
  meanStd,
  pairedBootstrap,
  pairedRunBootstrap,
  relationMacroF1,
  relationMicro,
  strictAccuracy,
  typingPredictions,
} from './metrics.ts';

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

describe('entity typing metrics (hand-computed)', () => {
  const labels = ['person', 'location', 'group'];
  it('predicts logit > 0, and adds the argmax for FIGER', () => {
    expect(
      typingPredictions(
        [
          [1, -1, 0.5],
          [-2, -1, -3],
        ],
        labels,
        false,
      ),
    ).toEqual([['person', 'group'], []]);
    expect(typingPredictions([[-2, -1, -3]], labels, true)).toEqual([['location']]);
  });

  it('computes loose micro, loose macro and strict accuracy', () => {
    const gold = [['person'], ['location', 'group']];
    const pred = [['person', 'group'], ['location']];
    // micro: overlap 2, predicted 3, gold 3 → P = R = 2/3.
    const micro = looseMicro(gold, pred);
    expect(micro.precision).toBeCloseTo(2 / 3);
    expect(micro.recall).toBeCloseTo(2 / 3);
    // macro: P = (1/2 + 1/1)/2 = .75, R = (1/1 + 1/2)/2 = .75.
    const macro = looseMacro(gold, pred);
    expect(macro.precision).toBeCloseTo(0.75);
    expect(macro.f1).toBeCloseTo(0.75);
    expect(strictAccuracy(gold, pred)).toBe(0);
    expect(strictAccuracy(gold, [['person'], ['group', 'location']])).toBe(1);
  });
});

describe('paired bootstrap', () => {
  it('brackets a clear improvement above zero and gives the observed difference', () => {
    const a = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const b = Array.from({ length: 200 }, (_, i) => (i % 4 !== 3 ? 1 : 0));
    const acc = (xs: number[]) => (idx: number[]) => idx.reduce((s, i) => s + xs[i]!, 0) / idx.length;
    const r = pairedBootstrap(200, (idx, side) => (side === 'a' ? acc(a)(idx) : acc(b)(idx)), 500);
    expect(r.diff).toBeCloseTo(0.5);
    expect(r.low).toBeGreaterThan(0.35);
    expect(r.high).toBeLessThan(0.65);
    expect(meanStd([1, 2, 3]).std).toBeCloseTo(1);
  });
});

describe('official metric edge cases', () => {
  it('gives precision 1 when nothing but no_relation is predicted, as the TACRED scorer does', () => {
    const m = relationMicro(['P17', 'no_relation'], ['no_relation', 'no_relation']);
    expect(m).toEqual({ precision: 1, recall: 0, f1: 0 });
  });
  it('counts only differences below zero in pBelowZero', () => {
    const same = pairedBootstrap(50, () => 0.5, 100);
    expect(same.pBelowZero).toBe(0);
    expect([same.low, same.high]).toEqual([0, 0]);
  });
});

describe('paired bootstrap over examples and runs', () => {
  const acc = (xs: number[], idx: number[]) => idx.reduce((s, i) => s + xs[i]!, 0) / idx.length;
  const n = 200;
  const better = Array.from({ length: n }, (_, i) => (i % 4 !== 3 ? 1 : 0));
  const worse = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0));
  it('brackets a clear improvement that every run shares', () => {
    const r = pairedRunBootstrap({
      n,
      runs: { a: 3, b: 3 },
      metric: (idx, side) => acc(side === 'a' ? worse : better, idx),
      samples: 300,
    });
    expect(r.diff).toBeCloseTo(0.5);
    expect(r.low).toBeGreaterThan(0.3);
  });
  it('widens the interval when the runs of one side disagree, where the examples-only bootstrap does not', () => {
    // Side b: one run far better, two as good as a: the mean gain rests on one seed.
    const runsB = [better, worse, worse];
    const runs = pairedRunBootstrap({
      n,
      runs: { a: 3, b: 3 },
      metric: (idx, side, r) => acc(side === 'a' ? worse : runsB[r]!, idx),
      samples: 300,
    });
    const examplesOnly = pairedBootstrap(
      n,
      (idx, side) => (side === 'a' ? acc(worse, idx) : runsB.reduce((s, xs) => s + acc(xs, idx), 0) / 3),
      300,
    );
    expect(runs.diff).toBeCloseTo(examplesOnly.diff);
    expect(examplesOnly.low).toBeGreaterThan(0);
    expect(runs.low).toBeLessThanOrEqual(0);
  });
});
