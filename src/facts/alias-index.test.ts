import { describe, expect, it } from 'vitest';
import { AliasIndex, aliasRule } from './alias-index.ts';

const index = new AliasIndex();
index.add({
  id: 'country:USA',
  name: 'United States',
  aliases: ['US', 'USA', 'United States of America'],
  types: ['location'],
  source: 't',
});
index.add({ id: 'country:TUR', name: 'Turkey', aliases: [], types: ['location'], source: 't' });
index.add({ id: 'wn:n:turkey', name: 'turkey', aliases: ['Meleagris gallopavo'], types: ['object'], source: 't' });
index.add({ id: 'country:CHN', name: 'China', aliases: [], types: ['location'], source: 't' });
index.add({ id: 'wn:n:china', name: 'china', aliases: [], types: ['object'], source: 't' });
index.add({ id: 'wn:n:in', name: 'inch', aliases: ['in'], types: ['entity'], source: 't' });
index.add({ id: 'wn:n:bank1', name: 'bank', aliases: [], types: ['object'], source: 't' });
index.add({ id: 'wn:n:bank2', name: 'bank', aliases: [], types: ['group'], source: 't' });

const words = (s: string) => s.split(' ');
const found = (s: string) =>
  index.match(words(s)).map((m) => [
    words(s)
      .slice(m.start, m.end + 1)
      .join(' '),
    m.ids,
  ]);

describe('AliasIndex', () => {
  it('takes the longest alias', () => {
    expect(found('He flew to the United States of America yesterday')).toEqual([
      ['United States of America', ['country:USA']],
    ]);
  });

  it('matches an acronym only in capitals', () => {
    expect(found('The US signed it')).toEqual([['US', ['country:USA']]]);
    expect(found('Let us sign it')).toEqual([]);
  });

  it('tells the country from the bird and the porcelain by case', () => {
    expect(found('We ate turkey in Turkey')).toEqual([
      ['turkey', ['wn:n:turkey']],
      ['Turkey', ['country:TUR']],
    ]);
    expect(found('Fine china from China')).toEqual([
      ['china', ['wn:n:china']],
      ['China', ['country:CHN']],
    ]);
  });

  it('lets a common noun open a sentence, capitalised', () => {
    expect(found('Turkey is tasty')).toEqual([['Turkey', ['country:TUR', 'wn:n:turkey']]]);
  });

  it('keeps every sense of an ambiguous alias', () => {
    expect(found('the bank was closed')).toEqual([['bank', ['wn:n:bank1', 'wn:n:bank2']]]);
  });

  it('keeps only the readings that fit the part of speech', () => {
    const tagged = new AliasIndex();
    tagged.add({ id: 'wn:n:yellow', name: 'yellow', aliases: [], types: ['entity'], source: 't' });
    tagged.add({ id: 'wn:v:yellow', name: 'yellow', aliases: [], types: ['entity'], source: 't' });
    tagged.add({ id: 'wn:a:yellow', name: 'yellow', aliases: [], types: ['entity'], source: 't' });
    expect(tagged.match(['a', 'yellow', 'car'], ['DT', 'JJ', 'NN'])[0]!.ids).toEqual(['wn:a:yellow']);
    expect(tagged.match(['leaves', 'yellow'], ['NNS', 'VBP'])[0]!.ids).toEqual(['wn:v:yellow']);
    expect(tagged.match(['thereby', 'yellow'], ['RB', 'RB'])).toEqual([]);
  });

  it('never matches function words', () => {
    expect(aliasRule('in')).toBeNull();
    expect(aliasRule('a')).toBeNull();
    expect(found('it fits in a box')).toEqual([]);
  });
});
