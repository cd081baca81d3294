import { describe, expect, it } from 'vitest';
import { Row } from '../data/composition.ts';
import type { AdapterConfig } from '../kadapter/adapter.ts';
import { componentKey, mainRows, relativeRow, resolvedRow, runKey, trained, untrained } from './rows.ts';

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
  dir: '/build/runs/factual/seed-1/adapter',
  method: 'k-adapter',
  config,
  readLayers: config.readLayers,
};
const L = {
  name: 'linguistic',
  dir: '/build/runs/linguistic/seed-1/adapter',
  method: 'k-adapter',
  config,
  readLayers: config.readLayers,
};

describe('the main table as composition values', () => {
  const F2 = { ...F, dir: '/build/runs/factual/seed-2/adapter' };
  const L2 = { ...L, dir: '/build/runs/linguistic/seed-2/adapter' };
  const rowsOf = (o: { multitask: boolean; combines: ('sum' | 'concat')[] }) =>
    mainRows({ factual: [F, F2], linguistic: [L, L2], randomDraws: 3, baseLayers: 6, ...o });

  it('lists the paper’s rows and the controls, each adapter row once per combination and replicate', () => {
    const rows = rowsOf({ combines: ['concat', 'sum'], multitask: true });
    const count = (key: string) => rows.filter((r) => runKey(r) === key).length;
    expect([...new Set(rows.map(runKey))]).toEqual([
      'base',
      'layers-concat',
      'layers-sum',
      'mix-concat',
      'mix-sum',
      'random-concat',
      'random-sum',
      'multitask',
      'multitask-layers-concat',
      'multitask-layers-sum',
      'F-concat',
      'F-sum',
      'L-concat',
      'L-sum',
      'FL-concat',
      'FL-sum',
    ]);
    expect([count('base'), count('layers-sum'), count('random-sum'), count('F-sum'), count('FL-concat')]).toEqual([
      1, 1, 3, 2, 2,
    ]);
    for (const r of rows) expect(Row.parse(r)).toEqual(r);
    expect(rowsOf({ combines: ['sum'], multitask: false }).map(runKey)).not.toContain('multitask');
  });

  it('gives each replicate its own weights: adapter seeds, and random draws with their own seeds', () => {
    const rows = rowsOf({ combines: ['sum'], multitask: false });
    const fl = rows.filter((r) => r.id === 'FL');
    expect(fl.map((r) => r.replicate)).toEqual([1, 2]);
    expect(fl[1]!.components).toEqual([trained(F2), trained(L2)]);
    const seeds = rows
      .filter((r) => r.id === 'random')
      .map((r) => r.components.map((c) => c.kind === 'adapter' && 'random' in c.weights && c.weights.random));
    expect(seeds).toEqual([
      [1001, 1002],
      [2001, 2002],
      [3001, 3002],
    ]);
  });

  it('gives the layer-access controls the random adapters’ limit and a mix of every layer', () => {
    const rows = rowsOf({ combines: ['sum'], multitask: true });
    expect(rows.find((r) => r.id === 'layers')!.components).toEqual([
      { kind: 'layers', layers: [0, 2, 5] },
      { kind: 'layers', layers: [0, 2, 5] },
    ]);
    expect(rows.find((r) => r.id === 'multitask-layers')).toMatchObject({ base: 'multitask' });
    expect(rows.find((r) => r.id === 'mix')!.components).toEqual([
      { kind: 'scalarMix', layers: [0, 1, 2, 3, 4, 5, 6] },
    ]);
  });

  it('refuses a row whose combination does not fit its components', () => {
    const bad = { id: 'x', label: 'x', base: 'base', components: [trained(F)], combine: 'none' };
    expect(Row.safeParse(bad).success).toBe(false);
    expect(Row.safeParse({ ...bad, components: [], combine: 'sum' }).success).toBe(false);
    expect(Row.safeParse({ ...bad, combine: 'sum' }).success).toBe(true);
    expect(
      Row.safeParse({
        ...bad,
        combine: 'sum',
        components: [{ kind: 'adapter', name: 'factual', weights: { random: 1 } }],
      }).success,
    ).toBe(false);
  });

  it('gives each distinct computation one key: folder, random draw, layers left out, base layers', () => {
    const keys = [
      trained(F),
      untrained(F),
      { ...trained(F), leaveOut: [1] },
      trained(L),
      { kind: 'layers' as const, layers: [0, 2, 5] },
      { kind: 'scalarMix' as const, layers: [0, 2, 5] },
      { ...trained(F), part: 'delta' as const },
      untrained(F, 2),
    ].map(componentKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(componentKey({ ...trained(F), leaveOut: [] })).toBe(componentKey(trained(F)));
  });

  it('writes adapter folders relative to the run and reads them back', () => {
    const row = rowsOf({ combines: ['concat'], multitask: false }).find((r) => r.id === 'FL')!;
    const run = '/reports/smoke/runs/relation/FL-concat/seed-1';
    const rel = relativeRow(row, run);
    expect(JSON.stringify(rel)).not.toContain('"/');
    expect(rel.components[0]).toMatchObject({
      weights: { dir: '../../../../../../build/runs/factual/seed-1/adapter' },
    });
    expect(resolvedRow(rel, run)).toEqual(row);
  });
});
