import { describe, expect, it } from 'vitest';
import { OPTIM_DEFAULTS, OptimSettings } from './schema.ts';

describe('optimizer settings', () => {
  it('keeps the optimizer default valid and numerically what every training used before', () => {
    expect(OptimSettings.parse(OPTIM_DEFAULTS)).toEqual({
      weightDecay: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-6,
      warmupRatio: 0.1,
      clipNorm: 1,
    });
    // The order of the keys is part of the configuration hash of a training run: unchanged.
    expect(Object.keys(OPTIM_DEFAULTS)).toEqual(['weightDecay', 'beta1', 'beta2', 'eps', 'warmupRatio', 'clipNorm']);
  });
});
