import { describe, expect, it } from 'vitest';
import { CachedExample } from './features.ts';

describe('feature cache files', () => {
  it('reads a feature-cache index line with its place in the shard', () => {
    const line = {
      task: 'dependency',
      id: 'x',
      ids: [101, 7, 8, 102],
      firsts: [1, 2],
      heads: [2, 0],
      offset: 0,
      length: 4,
    };
    expect(CachedExample.parse(line)).toEqual(line);
    expect(CachedExample.safeParse({ ...line, length: undefined }).success).toBe(false);
  });
});
