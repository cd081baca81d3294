import { describe, expect, it } from 'vitest';
import { ablationTable, ablationVariants, againstFL, type AblationRow } from './ablation.ts';

describe('ablation variants', () => {
  it('holds the combination fixed except for F+L, and knocks out each adapter layer of both adapters', () => {
    const v = ablationVariants([0, 2, 5], ['concat', 'sum']);
    expect(v.map((x) => x.key)).toEqual([
      'base', 'FL-concat', 'FL-sum', 'F-concat', 'L-concat', 'F-randL-concat', 'randF-L-concat', 'randF-randL-concat',
      'FL-without-0-concat', 'FL-without-1-concat', 'FL-without-2-concat',
    ]);
    expect(v.find((x) => x.key === 'FL-without-1-concat')!.row.adapters).toEqual(['factual-without-1', 'linguistic-without-1']);
    expect(v.find((x) => x.key === 'FL-without-2-concat')!.row.label).toMatch(/adapter layer 3 \(reads base layer 5\)/);
    expect(v.find((x) => x.key === 'base')!.combine).toBeNull();
  });
});

describe('each variant against F+L', () => {
  const row = (key: string, rowId: string, combine: string, mean: number, std: number): AblationRow => ({
    key, row: rowId, label: key, combine, family: 'which adapters', test: { f1: { mean, std } }, perSeed: [], seconds: 0,
  });
  const rows = [row('FL-concat', 'FL', 'concat', 0.8, 0.01), row('FL-sum', 'FL', 'sum', 0.7, 0.01), row('F-concat', 'F', 'concat', 0.75, 0.01), row('L-sum', 'L', 'sum', 0.705, 0.01)];
  it('compares with F+L of the same combination, in points, against the seeds’ spread', () => {
    expect(againstFL(rows, 'f1', rows[2]!)).toEqual({ delta: expect.closeTo(-5, 9), noise: expect.closeTo(2, 9), beyondNoise: true });
    expect(againstFL(rows, 'f1', rows[3]!)).toEqual({ delta: expect.closeTo(0.5, 9), noise: expect.closeTo(2, 9), beyondNoise: false });
    expect(againstFL(rows, 'f1', rows[0]!)).toBeNull();
  });
  it('writes one table line a variant', () => {
    const md = ablationTable(rows, 'f1');
    expect(md).toHaveLength(2 + rows.length);
    expect(md[4]).toBe('| which adapters | F-concat | concat | 75.00 ± 1.00 | -5.00 | yes (noise 2.00) |');
  });
});
