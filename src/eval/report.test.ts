import { describe, expect, it } from 'vitest';
import { direction, verifiedSection, type TaskResult } from './report.ts';

describe('the report says plainly whether the paper’s direction holds, from intervals', () => {
  const row = (id: string, combine: string, mean: number) => ({
    key: combine === '—' ? id : `${id}-${combine}`,
    row: id,
    label: id,
    combine,
    replicates: 1,
    parameters: 0,
    test: { f1: { mean, std: 0 } },
    dev: { f1: { mean, std: 0 } },
    perSeed: [],
    seconds: 0,
  });
  const interval = (a: string, low: number, high: number) => ({
    a,
    b: 'FL-concat',
    diff: (low + high) / 2,
    low,
    high,
    pBelowZero: 0,
  });
  const task = (
    base: [number, number],
    random: [number, number],
    layers: [number, number],
    mix: [number, number],
  ): TaskResult => ({
    source: '',
    metric: 'f1',
    labels: 2,
    examples: {},
    skipped: {},
    droppedAsSeenInPretraining: {},
    droppedBySource: {},
    sourceMix: {},
    sampled: {},
    unseenTestLabels: {},
    poolSeconds: 0,
    rows: [
      row('base', '—', 0.5),
      row('random', 'concat', 0.52),
      row('layers', 'concat', 0.52),
      row('mix', 'concat', 0.52),
      row('FL', 'concat', 0.56),
      row('FL', 'sum', 0.6),
    ],
    chosenCombine: 'concat',
    bootstrap: {
      base: interval('base', ...base),
      'random-concat': interval('random-concat', ...random),
      'layers-concat': interval('layers-concat', ...layers),
      'mix-concat': interval('mix-concat', ...mix),
    },
    bestBeforeLast: 1,
    efficiency: [],
  });
  const up: [number, number] = [0.01, 0.05];
  const level: [number, number] = [-0.01, 0.05];
  it('holds as knowledge only when every interval is above zero', () => {
    expect(direction(task(up, up, up, up)).at(-1)).toMatch(/holds here, and as knowledge/);
  });
  it('names each reference whose interval reaches zero', () => {
    expect(direction(task(level, up, up, up)).at(-1)).toMatch(/not distinguishable from zero/);
    expect(direction(task(up, level, up, up)).at(-1)).toMatch(/do not beat the random-adapter control/);
    expect(direction(task(up, up, up, level)).at(-1)).toMatch(/do not beat the layer-access controls/);
  });
  it('uses the combination chosen on dev, not the better test score', () => {
    expect(direction(task(up, up, up, up))[0]).toMatch(/F\+L \(concat, chosen on dev\)/);
    expect(direction(task(up, up, up, up)).join('\n')).toMatch(
      /the plain base \(base\): \+3\.00 points, 95% interval \[\+1\.00, \+5\.00\] — above/,
    );
  });
  it('states the verdicts of a verified set and the direction on its gold, from its own intervals', () => {
    const t = task(up, up, up, up);
    const v = {
      set: 'datasets/verified/relation',
      judged: 10,
      keep: 6,
      correct: 2,
      drop: 2,
      notInTestSample: 1,
      examples: 7,
      agreement: 0.75,
      rows: t.rows.map((r) => ({ key: r.key, verified: { mean: 0.5, std: 0 }, automatic: { mean: 0.6, std: 0 } })),
      bootstrap: { ...t.bootstrap, 'random-concat': interval('random-concat', ...level) },
    };
    const md = verifiedSection(t, v).join('\n');
    expect(md).toMatch(/10 test examples judged .*: 6 kept \(60%\), 2 corrected \(20%\), 2 dropped \(20%\)/);
    expect(md).toMatch(/right for 75\.0% of the examples kept as fair tests\. 7 examples scored; 1 are not in/);
    expect(md).toMatch(/\| base \| — \| 60\.00 ± 0\.00 \| 50\.00 ± 0\.00 \|/);
    expect(md).toMatch(/do not beat the random-adapter control/);
    expect(verifiedSection(t, { ...v, examples: 0, rows: [] }).join('\n')).toMatch(/nothing scored/);
  });
});
