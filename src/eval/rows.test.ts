import { describe, expect, it } from 'vitest';
import { Row } from '../data/composition.ts';
import type { AdapterConfig } from '../data/files.ts';
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
const F = { name: 'factual', dir: '/build/runs/factual/seed-1/adapter', config };
const L = { name: 'linguistic', dir: '/build/runs/linguistic/seed-1/adapter', config };

describe('the main table as composition values', () => {
  it('lists the paper’s rows and the control, each adapter row once per combination', () => {
    const rows = mainRows({ factual: F, linguistic: L, combines: ['concat', 'sum'], multitask: true });
    expect(rows.map(runKey)).toEqual([
      'base',
      'random-concat',
      'random-sum',
      'multitask',
      'F-concat',
      'F-sum',
      'L-concat',
      'L-sum',
      'FL-concat',
      'FL-sum',
    ]);
    for (const r of rows) expect(Row.parse(r)).toEqual(r);
    expect(mainRows({ factual: F, linguistic: L, combines: ['sum'], multitask: false }).map(runKey)).not.toContain(
      'multitask',
    );
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
    ].map(componentKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(componentKey({ ...trained(F), leaveOut: [] })).toBe(componentKey(trained(F)));
  });

  it('writes adapter folders relative to the run and reads them back', () => {
    const row = mainRows({ factual: F, linguistic: L, combines: ['concat'], multitask: false }).find(
      (r) => r.id === 'FL',
    )!;
    const run = '/reports/smoke/runs/relation/FL-concat/seed-1';
    const rel = relativeRow(row, run);
    expect(JSON.stringify(rel)).not.toContain('"/');
    expect(rel.components[0]).toMatchObject({
      weights: { dir: '../../../../../../build/runs/factual/seed-1/adapter' },
    });
    expect(resolvedRow(rel, run)).toEqual(row);
  });
});
