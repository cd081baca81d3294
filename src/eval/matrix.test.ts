// Which task seeds each run of a row trains with; the efficiency curve's runs.
import { describe, expect, it } from 'vitest';
import type { Row } from '../data/composition.ts';
import type { DownstreamData } from './downstream-data.ts';
import { relationEfficiency, seedsOf, type MatrixOptions } from './matrix.ts';
import type { RowTrainer } from './protocols.ts';
import type { RowResult } from './report.ts';
import { runKey } from './rows.ts';

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

describe('the relation data-efficiency curve', () => {
  // Two relations, four training examples each; every run scores its training-set size.
  const train = ['a', 'a', 'a', 'a', 'b', 'b', 'b', 'b'].map((rel, i) => ({
    id: `t${i}`,
    ids: [1, 2],
    positions: [0, 1],
    gold: [rel],
  }));
  const trained: { row: string; seed: number; n: number }[] = [];
  const trainer: RowTrainer = async (_spec, r, seed, o) => {
    const n = o.trainIdx?.length ?? train.length;
    trained.push({ row: r.id, seed, n });
    const run = { devByEpoch: [], bestEpoch: 0, test: [String(n)], dev: [], seconds: 0, epochsRun: 1 };
    return { run: { ...run, parameters: 0, weights: {} }, dispose: () => {} };
  };
  const matrix = {
    set: { task: 'relation', key: 'relation' },
    data: { task: 'relation', labels: ['a', 'b'], splits: { train, dev: [], test: [] } } as unknown as DownstreamData,
    trainer,
    score: (_split, out) => ({ microF1: Number(out[0]) / 100 }),
    out: '',
    epochs: 5,
    seeds: [1, 2],
    replicateSeeds: 'paired',
    models: { base: null, multitask: null },
  } satisfies MatrixOptions;
  const rows = [row(), { ...row(1), id: 'F' }];
  // The matrix ran the plain row with both seeds and replicate 1 of F with seed 1 only (paired).
  const ran = [
    { key: runKey(rows[0]!), perSeed: [1, 2].map((seed) => ({ seed, test: { microF1: 0.5 + seed / 10 } })) },
    { key: runKey(rows[1]!), perSeed: [{ replicate: 1, seed: 1, test: { microF1: 0.9 } }] },
  ] as unknown as RowResult[];

  it("reads the whole-set point of a row and seed from the matrix's run, and trains only what it lacks", async () => {
    trained.length = 0;
    const curve = await relationEfficiency(matrix, rows, [1], ran);
    const all = curve.filter((p) => p.perRelation === 'all');
    expect(all[0]!.mean).toBeCloseTo(0.65, 12);
    expect(all[1]!.mean).toBeCloseTo((0.9 + 0.08) / 2, 12);
    // Every k = 1 run (two a row), and the whole set only for F with seed 2.
    expect(trained).toEqual([
      { row: 'FL', seed: 1, n: 2 },
      { row: 'FL', seed: 2, n: 2 },
      { row: 'F', seed: 1, n: 2 },
      { row: 'F', seed: 2, n: 2 },
      { row: 'F', seed: 2, n: 8 },
    ]);
  });

  it('trains every point without the matrix runs', async () => {
    trained.length = 0;
    await relationEfficiency(matrix, rows, [1]);
    expect(trained.filter((t) => t.n === 8)).toHaveLength(4);
  });
});
