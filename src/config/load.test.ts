import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSetEntries } from '../eval/sets.ts';
import { loadConfig, redactConfig } from './load.ts';
import { ConfigError, UsageError, UserError } from '../util/errors.ts';
import { repoRoot } from '../util/paths.ts';

const env = (vars: Record<string, string> = {}) => ({ HOME: '/home/someone', ...vars });

describe('loadConfig', () => {
  it('uses the default profile when none is given', () => {
    const config = loadConfig({ env: env() });
    expect(config.profile).toBe('default');
    expect(config.data.sentences).toBeGreaterThanOrEqual(100_000);
    expect(config.services.corenlp.urls).toEqual([]);
    expect(config.services.neo4j.uri).toBeNull();
  });

  it('scales the three profiles as SPEC §3 says', () => {
    const smoke = loadConfig({ profile: 'smoke', env: env() });
    const full = loadConfig({ profile: 'full', env: env() });
    expect(smoke.data.sentences).toBeLessThanOrEqual(1000);
    expect(full.data.sentences).toBeGreaterThanOrEqual(1_000_000);
    for (const c of [smoke, full, loadConfig({ env: env() })]) {
      expect(c.services.corenlp.heapMb).toBeLessThanOrEqual(4096);
      expect(c.services.neo4j.heapMb).toBeLessThanOrEqual(2048);
      expect(c.paths.buildDir.endsWith(path.join('datasets', 'build', c.profile))).toBe(true);
    }
  });

  it('rejects an unknown profile as a usage error', () => {
    expect(() => loadConfig({ profile: 'huge', env: env() })).toThrow(UsageError);
    expect(() => loadConfig({ profile: 'huge', env: env() })).toThrow(/unknown profile "huge"/);
  });

  describe('downstream sets (eval.sets, --data-dir task=set read by src/eval/sets.ts)', () => {
    const fixture = (name: string) => path.join(repoRoot, 'test', 'fixtures', 'eval', name);
    const sets = (s: Record<string, string[]>, profile = 'smoke') =>
      loadConfig({ profile, env: env(), sets: parseSetEntries(s) }).eval.sets;

    it('has the built sets by default, and the TACRED fixture first on smoke', () => {
      expect(loadConfig({ env: env() }).eval.sets).toEqual({
        'entity-typing': [{ name: 'kg' }, { name: 'ner' }],
        relation: [{ name: 'kg' }, { name: 'kbp' }],
      });
      expect(loadConfig({ profile: 'smoke', env: env() }).eval.sets).toEqual({
        'entity-typing': [{ name: 'kg' }, { name: 'ner' }],
        relation: [{ name: 'tacred', dir: 'test/fixtures/eval/tacred' }, { name: 'kbp' }],
      });
    });

    it('takes several sets of a task, in order, instead of the profile’s; the other task keeps its own', () => {
      const got = sets({ 'entity-typing': [fixture('openentity'), `FIGER-1=${fixture('figer')}`, 'ner'] });
      expect(got['entity-typing']).toEqual([
        { name: 'openentity', dir: fixture('openentity') },
        { name: 'FIGER-1', dir: fixture('figer') },
        { name: 'ner' },
      ]);
      expect(got.relation).toEqual(loadConfig({ profile: 'smoke', env: env() }).eval.sets.relation);
      expect(sets({ relation: ['kbp', 'kg'] }, 'default').relation).toEqual([{ name: 'kbp' }, { name: 'kg' }]);
    });

    it('resolves a relative folder against the working directory', () => {
      const relative = path.relative(process.cwd(), fixture('tacred'));
      expect(sets({ relation: [`t=${relative}`] }).relation).toEqual([{ name: 't', dir: fixture('tacred') }]);
    });

    it('refuses another task, another task’s built set, a built name on a folder, and a name twice', () => {
      expect(() => sets({ pos: ['x'] })).toThrow(UsageError);
      expect(() => sets({ relation: ['ner'] })).toThrow(
        /ner is a set of entity-typing; relation's built sets are kg, kbp/,
      );
      expect(() => sets({ relation: [`kg=${fixture('tacred')}`] })).toThrow(UsageError);
      expect(() => sets({ relation: [`kg=${fixture('tacred')}`] })).toThrow(/name the folder otherwise/);
      expect(() => sets({ relation: ['kg', 'kg'] })).toThrow(ConfigError);
      expect(() => sets({ relation: ['kg', 'kg'] })).toThrow(/eval\.sets\.relation: two sets of a task share a name/);
    });

    it('stops on a folder that is not there, or lacks a split, with one line before anything runs', () => {
      const missing = path.join(os.tmpdir(), 'kadapter-no-such-set');
      expect(() => sets({ 'entity-typing': [missing] })).toThrow(UserError);
      expect(() => sets({ 'entity-typing': [missing] })).toThrow(
        `entity-typing set kadapter-no-such-set: no folder ${missing}`,
      );
      const partial = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-partial-set-'));
      fs.writeFileSync(path.join(partial, 'train.jsonl'), '');
      expect(() => sets({ relation: [`p=${partial}`] })).toThrow(
        /relation set p: no dev\.json\(l\), test\.json\(l\) in /,
      );
    });
  });

  it('applies every environment override', () => {
    const config = loadConfig({
      env: env({
        CORENLP_URLS: 'http://10.0.0.1:9000, http://10.0.0.2:9000/',
        NEO4J_URI: 'neo4j+s://graph.example.org:7687',
        NEO4J_USER: 'reader',
        NEO4J_PASSWORD: 'p@ss"word',
        KADAPTER_BACKEND: 'wasm',
        KADAPTER_CACHE_DIR: '/data/kadapter-cache',
        KADAPTER_BUILD_DIR: '/data/builds',
      }),
    });
    expect(config.paths.buildDir).toBe(path.join('/data/builds', 'default'));
    expect(config.services.corenlp.urls).toEqual(['http://10.0.0.1:9000', 'http://10.0.0.2:9000/']);
    expect(config.services.neo4j).toMatchObject({
      uri: 'neo4j+s://graph.example.org:7687',
      user: 'reader',
      password: 'p@ss"word',
    });
    expect(config.backend).toBe('wasm');
    expect(config.paths.cacheDir).toBe('/data/kadapter-cache');
    expect(config.paths.stateDir).toBe(path.join('/data/kadapter-cache', 'run'));
  });

  it('names the offending key and the variable it came from', () => {
    expect(() => loadConfig({ env: env({ KADAPTER_BACKEND: 'tpu' }) })).toThrow(/backend \(from KADAPTER_BACKEND\)/);
    expect(() => loadConfig({ env: env({ CORENLP_URLS: 'http://ok:9000,localhost:9000' }) })).toThrow(
      /services\.corenlp\.urls\.1 \(from CORENLP_URLS\): must be an http/,
    );
    expect(() => loadConfig({ env: env({ NEO4J_URI: 'http://graph:7474', NEO4J_PASSWORD: 'x' }) })).toThrow(
      /services\.neo4j\.uri \(from NEO4J_URI\): must be a bolt:\/\/ or neo4j:\/\//,
    );
    expect(() => loadConfig({ env: env({ KADAPTER_BACKEND: 'tpu' }) })).toThrow(ConfigError);
  });

  // Reliability: a port is a number in 1–65535, checked at start-up with the
  // variable named; a URI without one gets its scheme's default written into the configuration.
  it.each([
    [
      'CORENLP_URLS',
      'http://127.0.0.1:abc',
      /services\.corenlp\.urls\.0 \(from CORENLP_URLS\): .*port "abc", which is not a number/,
    ],
    [
      'CORENLP_URLS',
      'http://ok:9000,http://127.0.0.1:99999',
      /services\.corenlp\.urls\.1 \(from CORENLP_URLS\): .*port 99999, out of range 1–65535/,
    ],
    ['CORENLP_URLS', 'http://127.0.0.1:0', /\(from CORENLP_URLS\): .*port 0, out of range/],
    ['CORENLP_URLS', 'http://127.0.0.1:', /\(from CORENLP_URLS\): .*port "", which is not a number/],
    ['CORENLP_URLS', 'http://[::1]x', /\(from CORENLP_URLS\): .*has "x" after its IPv6 address/],
    [
      'NEO4J_URI',
      'bolt://127.0.0.1:abc',
      /services\.neo4j\.uri \(from NEO4J_URI\): .*port "abc", which is not a number/,
    ],
    ['NEO4J_URI', 'neo4j+s://graph:99999', /services\.neo4j\.uri \(from NEO4J_URI\): .*port 99999, out of range/],
    ['NEO4J_URI', 'bolt://graph:-1', /\(from NEO4J_URI\): .*port "-1", which is not a number/],
  ])('refuses %s=%s at start-up, naming the variable', (name, value, message) => {
    const vars = { [name]: value, NEO4J_PASSWORD: 'x' };
    expect(() => loadConfig({ env: env(vars) })).toThrow(ConfigError);
    expect(() => loadConfig({ env: env(vars) })).toThrow(message);
  });

  it("writes the scheme's default port into a URI that names none, and keeps an explicit one", () => {
    const config = loadConfig({
      env: env({
        CORENLP_URLS: 'http://nlp.example.org, https://nlp.example.org/corenlp, http://[::1]:9000, http://u:p@h',
        NEO4J_URI: 'neo4j+s://graph.example.org',
        NEO4J_PASSWORD: 'x',
      }),
    });
    expect(config.services.corenlp.urls).toEqual([
      'http://nlp.example.org:80',
      'https://nlp.example.org:443/corenlp',
      'http://[::1]:9000',
      'http://u:p@h:80',
    ]);
    expect(config.services.neo4j.uri).toBe('neo4j+s://graph.example.org:7687');
    expect(loadConfig({ env: env({ NEO4J_URI: 'bolt://g/', NEO4J_PASSWORD: 'x' }) }).services.neo4j.uri).toBe(
      'bolt://g:7687/',
    );
  });

  it('requires a password with an external Neo4j', () => {
    expect(() => loadConfig({ env: env({ NEO4J_URI: 'bolt://graph:7687' }) })).toThrow(/NEO4J_PASSWORD is required/);
  });

  it('ignores empty variables', () => {
    expect(loadConfig({ env: env({ NEO4J_URI: '', CORENLP_URLS: '' }) }).services.neo4j.uri).toBeNull();
  });
});

describe('redactConfig', () => {
  it('hides the Neo4j password and leaves the original alone', () => {
    const config = loadConfig({ env: env({ NEO4J_URI: 'bolt://graph:7687', NEO4J_PASSWORD: 'hunter22' }) });
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain('hunter22');
    expect(shown).toContain('***');
    expect(config.services.neo4j.password).toBe('hunter22');
  });
});
