import { describe, expect, it } from 'vitest';
import { lemmaText, parseDataLine } from './wordnet.ts';
import { continentOf, loadGeography } from './geography.ts';
import { pairSplit } from '../split.ts';

describe('WordNet data lines', () => {
  const dog =
    '02086723 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 002 @ 02085998 n 0000 #m 02086515 n 0000 | a member of the genus Canis';

  it('reads lemmas and pointers', () => {
    expect(parseDataLine(dog, 'n')).toEqual({
      id: 'wn:n:02086723',
      lexFile: 5,
      words: ['dog', 'domestic dog', 'Canis familiaris'],
      pointers: [
        { symbol: '@', target: 'wn:n:02085998' },
        { symbol: '#m', target: 'wn:n:02086515' },
      ],
    });
  });

  it('files adjective satellites under the adjective synsets', () => {
    expect(
      parseDataLine('00003552 00 s 01 emerging(p) 0 001 & 00002956 a 0000 | coming into existence', 'a'),
    ).toMatchObject({
      id: 'wn:a:00003552',
      words: ['emerging'],
      pointers: [{ symbol: '&', target: 'wn:a:00002956' }],
    });
  });

  it('refuses a malformed line instead of guessing', () => {
    expect(parseDataLine('not a synset line', 'n')).toBeNull();
    expect(parseDataLine('02086723 05 n 03 dog 0', 'n')).toBeNull();
    expect(parseDataLine('02086723 05 n 01 dog 0 002 @ 02085998', 'n')).toBeNull();
  });

  it('turns lemma spellings into text', () => {
    expect(lemmaText('living_thing')).toBe('living thing');
    expect(lemmaText('galore(ip)')).toBe('galore');
  });
});

describe('geography', () => {
  it('splits the Americas into two continents', () => {
    expect(continentOf({ region: 'Americas', subregion: 'South America' })).toBe('South America');
    expect(continentOf({ region: 'Americas', subregion: 'Caribbean' })).toBe('North America');
    expect(continentOf({ region: 'Europe' })).toBe('Europe');
    expect(continentOf({})).toBeNull();
  });

  it('links a capital to its GeoNames city and both ways to its country', () => {
    const batch = loadGeography({ minCityPopulation: 5_000_000, includeCities: true, includeUsStates: true });
    const paris = batch.triples.find((t) => t.subject === 'country:FRA' && t.predicate === 'P36')!;
    expect(paris.object).toMatch(/^geonames:\d+$/);
    expect(batch.entities.find((e) => e.id === paris.object)!.name).toBe('Paris');
    expect(batch.triples).toContainEqual({
      subject: paris.object,
      predicate: 'P1376',
      object: 'country:FRA',
      source: 'world-countries',
    });
    const mn = batch.triples.find((t) => t.subject === 'us-state:MN' && t.predicate === 'P36')!;
    expect(batch.entities.find((e) => e.id === mn.object)!.name).toBe('Saint Paul');
  });
});

describe('pairSplit', () => {
  it('gives a pair the same split in both directions', () => {
    for (let i = 0; i < 200; i++) expect(pairSplit(`a${i}`, `b${i}`, 0.15)).toEqual(pairSplit(`b${i}`, `a${i}`, 0.15));
  });

  it('holds out about the configured share for the downstream task', () => {
    let held = 0;
    for (let i = 0; i < 10_000; i++) if (pairSplit(`x${i}`, `y${i}`, 0.15).set === 'downstream') held++;
    expect(held / 10_000).toBeCloseTo(0.15, 1);
  });
});
