import { describe, expect, it } from 'vitest';
import { UsageError } from '../util/errors.ts';
import { createAdapter, drawAdapter, method, methodNames, registerMethod } from './index.ts';
import { kAdapter } from './k-adapter/method.ts';

const shape = {
  baseHidden: 32,
  readLayers: [0, 1, 2],
  size: 16,
  layers: 1,
  chain: 'sum' as const,
  initStd: 2e-4,
  layerNormEps: 1e-12,
};

describe('the method registry', () => {
  it('holds K-Adapter under the name its folders carry, and refuses a second registration of a name', () => {
    expect(methodNames()).toContain('k-adapter');
    expect(method('k-adapter')).toBe(kAdapter);
    expect(() => registerMethod(kAdapter)).toThrow(/registered twice/);
  });

  it('names the registered methods when asked for an unknown one', () => {
    expect(() => method('lora')).toThrow(UsageError);
    expect(() => method('lora')).toThrow(/unknown adaptation method "lora"; registered: .*k-adapter/);
  });

  it("reads a folder's settings with the method's own schema, and round-trips them through its file config", () => {
    const file = kAdapter.fileConfig(shape);
    expect(file).toEqual({ architecture: 'k-adapter', ...shape, activation: 'gelu', heads: 1 });
    const a = createAdapter(file, 1);
    expect(a.config).toEqual(shape);
    expect(a.readLayers).toEqual([0, 1, 2]);
    a.dispose();
    // A heads count the code would not use is refused by the schema, not silently changed.
    expect(() => createAdapter({ ...file, heads: 2 }, 1)).toThrow(/attention heads/);
  });

  it('draws the same untrained adapter from the same seed, and another from another seed', () => {
    const values = (seed: number) => {
      const a = drawAdapter('k-adapter', shape, seed);
      const v = Array.from(a.variables()['layers.0.down.w']!.dataSync());
      a.dispose();
      return v;
    };
    expect(values(3)).toEqual(values(3));
    expect(values(3)).not.toEqual(values(4));
  });
});
