import { describe, expect, it } from 'vitest';
import { AliasIndex } from './alias-index.ts';
import { FactLookup, alignMentions } from './align.ts';

const alignTokens = (tokens: string[], idx: AliasIndex, lookup: FactLookup) => alignMentions(idx.match(tokens), lookup);

const index = new AliasIndex();
const entity = (id: string, name: string, aliases: string[] = []) =>
  index.add({ id, name, aliases, types: ['location'], source: 't' });
entity('country:FRA', 'France');
entity('city:paris', 'Paris');
entity('country:DEU', 'Germany');
entity('city:paris-tx', 'Paris');
entity('continent:europe', 'Europe');
const facts = new FactLookup();
facts.add({ subject: 'country:FRA', predicate: 'P36', object: 'city:paris' });
facts.add({ subject: 'city:paris', predicate: 'P17', object: 'country:FRA' });
facts.add({ subject: 'city:paris', predicate: 'P1376', object: 'country:FRA' });
facts.add({ subject: 'country:FRA', predicate: 'P47', object: 'country:DEU' });
facts.add({ subject: 'country:DEU', predicate: 'P47', object: 'country:FRA' });

const words = (s: string) => s.split(' ');

describe('alignMentions over matched mentions', () => {
  it('labels both directions of a fact, preferring the specific relation', () => {
    const a = alignTokens(words('Paris is the capital of France .'), index, facts);
    expect(a.positives.map((p) => [p.subjId, p.relation, p.objId])).toEqual([
      ['city:paris', 'P1376', 'country:FRA'],
      ['country:FRA', 'P36', 'city:paris'],
    ]);
    expect(a.negatives).toEqual([]);
  });

  it('resolves an ambiguous mention when only one reading has a fact', () => {
    // "Paris" is also a town in Texas, which has no fact with France.
    const a = alignTokens(words('France and Paris'), index, facts);
    expect(a.positives).toHaveLength(2);
    expect(a.ambiguous).toBe(0);
  });

  it('makes a no_relation candidate of two unambiguous entities without a fact', () => {
    const a = alignTokens(words('Germany lies in Europe'), index, facts);
    expect(a.positives).toEqual([]);
    expect(a.negatives.map((n) => [n.subjId, n.relation, n.objId])).toEqual([
      ['country:DEU', 'no_relation', 'continent:europe'],
    ]);
  });

  it('does not relate two mentions of the same word', () => {
    const senses = new AliasIndex();
    senses.add({ id: 'wn:v:come1', name: 'come', aliases: [], types: ['entity'], source: 't' });
    senses.add({ id: 'wn:v:come2', name: 'come', aliases: [], types: ['entity'], source: 't' });
    const lookup = new FactLookup();
    lookup.add({ subject: 'wn:v:come1', predicate: 'P279', object: 'wn:v:come2' });
    expect(alignTokens(words('come aboard , come along'), senses, lookup).positives).toEqual([]);
  });

  it('makes no negative when a mention is ambiguous', () => {
    expect(alignTokens(words('Paris and Europe'), index, facts).negatives).toEqual([]);
  });
});
