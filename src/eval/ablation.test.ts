import { describe, expect, it } from 'vitest';
import { Row } from '../data/composition.ts';
import type { AdapterConfig } from '../kadapter/adapter.ts';
import { ablationTable, ablationVariants, variantKey, type AblationRow } from './ablation.ts';

const config: AdapterConfig = {
  baseHidden: 8,
  readLayers: [0, 2, 5],
  size: 16,
  layers: 1,
  chain: 'sum',
  initStd: 2e-4,
  layerNormEps: 1e-12,
};
const F = {
  name: 'factual',
  dir: '/runs/factual/seed-1/adapter',
  method: 'k-adapter',
  config,
  readLayers: config.readLayers,
};
const L = {
  name: 'linguistic',
  dir: '/runs/linguistic/seed-1/adapter',
  method: 'k-adapter',
  config,
  readLayers: config.readLayers,
};

describe('ablation variants', () => {
  const v = ablationVariants({ factual: F, linguistic: L, baseLayers: 6, combines: ['concat', 'sum'] });
  it('holds the combination fixed except for F+L, and leaves out each adapter layer of both adapters', () => {
    expect(v.map(variantKey)).toEqual([
      'base',
      'FL-concat',
      'FL-sum',
      'F-concat',
      'L-concat',
      'F-randL-concat',
      'randF-L-concat',
      'randF-randL-concat',
      'layers-concat',
      'mix-concat',
      'F-delta-concat',
      'L-delta-concat',
      'FL-delta-concat',
      'FL-without-0-concat',
      'FL-without-1-concat',
      'FL-without-2-concat',
    ]);
    const without1 = v.find((x) => variantKey(x) === 'FL-without-1-concat')!.row;
    expect(without1.components.map((c) => (c.kind === 'adapter' ? [c.name, c.weights, c.leaveOut] : null))).toEqual([
      ['factual', { dir: F.dir }, [1]],
      ['linguistic', { dir: L.dir }, [1]],
    ]);
    expect(v.find((x) => variantKey(x) === 'FL-without-2-concat')!.row.label).toMatch(
      /adapter layer 3 \(reads base layer 5\)/,
    );
    expect(v.find((x) => variantKey(x) === 'base')!.row.combine).toBe('none');
  });
  it('names no role in a component: a random adapter is a weights field, with the trained one’s method and settings', () => {
    const randF = v.find((x) => variantKey(x) === 'randF-L-concat')!.row.components[0]!;
    expect(randF).toEqual({ kind: 'adapter', name: 'factual', weights: { random: 1001, method: 'k-adapter', config } });
  });
  it('sets F+L against layer access without an adapter, and against its adapters’ deltas alone', () => {
    const row = (key: string) => v.find((x) => variantKey(x) === key)!.row;
    expect(row('layers-concat').components).toEqual([
      { kind: 'layers', layers: [0, 2, 5] },
      { kind: 'layers', layers: [0, 2, 5] },
    ]);
    expect(row('mix-concat').components).toEqual([{ kind: 'scalarMix', layers: [0, 1, 2, 3, 4, 5, 6] }]);
    expect(row('FL-delta-concat').components.map((c) => c.kind === 'adapter' && c.part)).toEqual(['delta', 'delta']);
  });
  it('every variant is a valid row value', () => {
    for (const x of v) expect(Row.parse(x.row)).toEqual(x.row);
  });
});

describe('each variant against F+L', () => {
  const interval = (low: number, high: number) => ({ diff: (low + high) / 2, low, high, pBelowZero: 0 });
  const row = (
    key: string,
    rowId: string,
    combine: string,
    mean: number,
    againstFL: AblationRow['againstFL'],
  ): AblationRow => ({
    key,
    row: rowId,
    label: key,
    combine,
    family: 'which adapters',
    replicates: 1,
    parameters: 0,
    dev: { f1: { mean, std: 0.01 } },
    test: { f1: { mean, std: 0.01 } },
    perSeed: [],
    seconds: 0,
    againstFL,
  });
  const rows = [
    row('FL-concat', 'FL', 'concat', 0.8, null),
    row('F-concat', 'F', 'concat', 0.75, interval(-0.08, -0.02)),
    row('L-concat', 'L', 'concat', 0.79, interval(-0.03, 0.01)),
  ];
  it('claims a difference only where the interval excludes zero', () => {
    const md = ablationTable(rows, 'f1');
    expect(md).toHaveLength(2 + rows.length);
    expect(md[2]).toMatch(/\| F\+L|FL-concat .*\| — \| — \| — \|$/);
    expect(md[3]).toBe(
      '| which adapters | F-concat | concat | 0 | 75.00 ± 1.00 | -5.00 | [-8.00, -2.00] | yes, below |',
    );
    expect(md[4]).toMatch(/\| no \|$/);
  });
});
