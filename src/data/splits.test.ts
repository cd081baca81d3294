import { describe, expect, it } from 'vitest';
import { isLinguisticDev, LINGUISTIC_DEV_SHARE } from './splits.ts';

describe('the linguistic adapter dev slice of the dependency train split', () => {
  it('holds out about its share, the same ids every time', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `wordnet-${i.toString(16).padStart(16, '0')}`);
    const dev = ids.filter(isLinguisticDev);
    expect(dev.length / ids.length).toBeCloseTo(LINGUISTIC_DEV_SHARE, 2);
    expect(ids.filter(isLinguisticDev)).toEqual(dev);
  });
});
