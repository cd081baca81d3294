import { describe, expect, it } from 'vitest';
import { factType } from './store.ts';

describe('factType', () => {
  it('gives a listed predicate as its relationship type', () => {
    expect(factType('P279')).toBe('P279');
  });

  it('refuses anything else, so no data reaches a statement’s text', () => {
    for (const bad of ['P999', 'FACT', 'P31]->(x) DETACH DELETE x //', '`P31`', '']) {
      expect(() => factType(bad)).toThrow(/not a predicate of the graph/);
    }
  });
});
