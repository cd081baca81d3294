// How many intra-op threads each kadapter process gets when several share the cores.
import { describe, expect, it } from 'vitest';
import { threadsEach } from './child-process.ts';

describe('threads per process', () => {
  it('gives each of the two processes half the cores as intra-op threads, at least one', () => {
    expect([1, 2, 3, 16].map((cores) => threadsEach(2, cores))).toEqual([1, 1, 1, 8]);
  });
});
