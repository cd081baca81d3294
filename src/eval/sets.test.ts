import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import { ConfigError, UsageError } from '../util/errors.ts';
import { repoRoot } from '../util/paths.ts';
import { downstreamSets, parseSetEntries } from './sets.ts';
import { expectedNoise } from './verified.ts';

describe('downstream sets', () => {
  const config = loadConfig({
    env: { HOME: os.homedir(), KADAPTER_BUILD_DIR: '/b' },
    sets: parseSetEntries({ relation: ['kbp', `tacred=${path.join(repoRoot, 'test/fixtures/eval/tacred')}`, 'kg'] }),
  });

  it('resolves the built names to the build’s folders, keyed by task for the first set and task@set after', () => {
    expect(downstreamSets(config, 'entity-typing')).toEqual([
      {
        task: 'entity-typing',
        name: 'kg',
        provenance: 'kg-distant-supervision',
        dir: '/b/default/facts/entity_typing',
        key: 'entity-typing',
        first: true,
      },
      {
        task: 'entity-typing',
        name: 'ner',
        provenance: 'corenlp-ner',
        dir: '/b/default/heldout/ner_typing',
        key: 'entity-typing@ner',
        first: false,
      },
    ]);
    expect(downstreamSets(config, 'relation').map((s) => [s.key, s.provenance, s.dir])).toEqual([
      ['relation', 'corenlp-kbp', '/b/default/heldout/kbp_relation'],
      ['relation@tacred', 'user', path.join(repoRoot, 'test/fixtures/eval/tacred')],
      ['relation@kg', 'kg-distant-supervision', '/b/default/facts/downstream'],
    ]);
    expect(downstreamSets(config, 'pos')).toMatchObject([{ name: 'brown', key: 'pos', dir: '/b/default/dependency' }]);
  });

  it('checks the names when it resolves them: the task, its built sets, its own set', () => {
    expect(() => downstreamSets(config, 'sentiment')).toThrow(UsageError);
    expect(() => downstreamSets(config, 'sentiment')).toThrow(/unknown downstream task "sentiment"; registered: /);
    const other = (sets: typeof config.eval.sets) => ({ ...config, eval: { ...config.eval, sets } });
    expect(() => downstreamSets(other({ relation: [{ name: 'ner' }] }), 'relation')).toThrow(
      'eval.sets.relation: ner is no built set of relation (kg, kbp) and names no folder',
    );
    expect(() => downstreamSets(other({ relation: [{ name: 'kg', dir: '/d' }] }), 'relation')).toThrow(
      /name the folder otherwise/,
    );
    expect(() => downstreamSets(other({ pos: [{ name: 'x', dir: '/d' }] }), 'pos')).toThrow(ConfigError);
  });

  it('expects the noise the verified sets measured of the kg sets only', () => {
    const kg = expectedNoise('relation', 'kg-distant-supervision');
    expect(kg).toMatchObject({ measured: true, judged: 320, by: 'datasets/verified/relation' });
    if (kg.measured) expect(kg.mislabelled).toBeGreaterThan(0);
    expect(expectedNoise('relation', 'corenlp-kbp')).toEqual({ measured: false });
    expect(expectedNoise('entity-typing', 'user')).toEqual({ measured: false });
    expect(expectedNoise('pos', 'brown-gold')).toEqual({ measured: false });
  });
});
