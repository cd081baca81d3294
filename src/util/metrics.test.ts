import { describe, expect, it } from 'vitest';
import {
  accuracy,
  looseMacro,
  looseMicro,
  meanStd,
  pairedBootstrap,
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
