import { describe, expect, it } from 'vitest';
import type { Split } from '../data/schemas.ts';
import { pairSplit, placeExamples, type Unplaced } from './split.ts';

/** Entity pairs of each set, found by hash. */
const pairs = (set: 'adapter' | 'downstream', n: number): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; out.length < n; i++) if (pairSplit(`s${i}`, `o${i}`, 0.15).set === set) out.push([`s${i}`, `o${i}`]);
  return out;
};
const at = ([subjId, objId]: [string, string], sentenceSplit: Split): Unplaced => ({ subjId, objId, sentenceSplit });

describe('placeExamples: the split rule of the facts', () => {
  it('puts adapter pairs in the adapter splits from dependency-train sentences only', () => {
    const ps = pairs('adapter', 30);
    const examples = ps.flatMap((p) => [at(p, 'train'), at(p, 'dev'), at(p, 'test')]);
    const { places, leftOut } = placeExamples([examples], 0.15);
    places[0]!.forEach((place, i) => {
      const e = examples[i]!;
      if (e.sentenceSplit === 'train')
        expect(place).toEqual({ set: 'adapter', split: pairSplit(e.subjId, e.objId, 0.15).split });
      else expect(place).toBeNull();
    });
    expect(leftOut).toEqual({ adapterPairInDevOrTestSentence: 60, downstreamPairHeldOutInAnotherSplit: 0 });
  });

  it('puts a downstream pair in the most held-out split it occurs in, its sentences only of that split', () => {
    const [a, b, c, d] = pairs('downstream', 4);
    const positives = [at(a!, 'train'), at(a!, 'test'), at(b!, 'train'), at(b!, 'dev'), at(c!, 'train')];
    // A no_relation candidate of pair d in a dev sentence, and of pair c in a test one: one pass over
    // both lists decides the owner.
    const negatives = [at(d!, 'dev'), at(c!, 'test')];
    const { places, leftOut } = placeExamples([positives, negatives], 0.15);
    expect(places[0]).toEqual([
      null,
      { set: 'downstream', split: 'test' },
      null,
      { set: 'downstream', split: 'dev' },
      null,
    ]);
    expect(places[1]).toEqual([
      { set: 'downstream', split: 'dev' },
      { set: 'downstream', split: 'test' },
    ]);
    expect(leftOut).toEqual({ adapterPairInDevOrTestSentence: 0, downstreamPairHeldOutInAnotherSplit: 3 });
  });

  it('never places a dev/test sentence in the adapter data, nor a train sentence in downstream dev/test', () => {
    const examples: Unplaced[] = [];
    for (let i = 0; i < 3000; i++)
      examples.push({
        subjId: `e${i % 97}`,
        objId: `e${(i * 7) % 89}x`,
        sentenceSplit: (['train', 'dev', 'test'] as const)[i % 3]!,
      });
    const { places } = placeExamples([examples], 0.15);
    const seen = new Map<string, string>();
    places[0]!.forEach((place, i) => {
      if (!place) return;
      const e = examples[i]!;
      if (place.set === 'adapter') expect(e.sentenceSplit).toBe('train');
      else expect(place.split).toBe(e.sentenceSplit);
      const key = [e.subjId, e.objId].sort().join('|');
      const file = `${place.set}/${place.split}`;
      expect(seen.get(key) ?? file).toBe(file);
      seen.set(key, file);
    });
    expect(new Set(seen.values()).size).toBeGreaterThan(3);
  });
});
