import fs from 'node:fs';
import os from 'node:os';
// The command line as a user meets it: a real process, its exit code and its words.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../src/util/paths.ts';

const BIN = path.join(repoRoot, 'bin', 'kadapter.js');

function kadapter(args: string[], env: Record<string, string> = {}, as?: { uid: number; gid: number }) {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CORENLP_URLS: '', NEO4J_URI: '', ...env },
    ...as,
  });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

describe('kadapter CLI', () => {
  it('lists every stage and the services in --help', () => {
    const { code, out } = kadapter(['--help']);
    expect(code).toBe(0);
    for (const cmd of ['build-data', 'train', 'evaluate', 'ablate', 'pipeline', 'services', 'config']) {
      expect(out).toContain(cmd);
    }
  });

  it.each([
    'build-data',
    'train',
    'evaluate',
    'ablate',
    'pipeline',
    'services fetch',
    'services start',
    'services status',
    'services stop',
    'config',
  ])('"%s" takes --profile and --help', (cmd) => {
    const { code, out } = kadapter([...cmd.split(' '), '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/--profile <name>[\s\S]*choices:\s+"smoke",\s+"default",\s+"full"/);
  });

  it('rejects an unknown profile with usage exit code 2', () => {
    const { code, err } = kadapter(['build-data', '--profile', 'huge']);
    expect(code).toBe(2);
    expect(err).toMatch(/argument 'huge' is invalid/);
  });

  it('rejects an unknown flag and an unknown command with exit code 2', () => {
    expect(kadapter(['train', '--epochs-please']).code).toBe(2);
    expect(kadapter(['frobnicate']).code).toBe(2);
  });

  it('says what to run first when evaluate or ablate finds no trained adapters', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-empty-build-'));
    for (const stage of ['evaluate', 'ablate']) {
      const { code, err } = kadapter([stage, '--profile', 'smoke'], {
        KADAPTER_BUILD_DIR: empty,
        KADAPTER_REPORTS_DIR: empty,
      });
      expect(code).toBe(1);
      expect(err).toMatch(
        /no trained factual adapter in .*: run `npm run pipeline:train -- --profile smoke` first|no base model yet: run `npm run model:fetch`/,
      );
    }
  });

  it('refuses an unknown protocol as a usage error', () => {
    expect(kadapter(['evaluate', '--profile', 'smoke', '--protocol', 'thaw']).code).toBe(2);
  });

  it('says what to run first when train finds no data', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-empty-build-'));
    const { code, err } = kadapter(['train', '--profile', 'smoke'], { KADAPTER_BUILD_DIR: empty });
    expect(code).toBe(1);
    expect(err).toMatch(
      /run `npm run pipeline:build-data -- --profile smoke` first|no base model yet: run `npm run model:fetch`/,
    );
  });

  it('prints the resolved configuration with the password hidden', () => {
    const { code, out } = kadapter(['config', '--profile', 'smoke'], {
      NEO4J_URI: 'bolt://graph.invalid:7687',
      NEO4J_PASSWORD: 'top-secret-value',
    });
    expect(code).toBe(0);
    const config = JSON.parse(out);
    expect(config.profile).toBe('smoke');
    expect(config.services.neo4j.uri).toBe('bolt://graph.invalid:7687');
    expect(out).not.toContain('top-secret-value');
  });

  it('states the default port of a URI that names none in the configuration printout', () => {
    const { code, out } = kadapter(['config', '--profile', 'smoke'], {
      CORENLP_URLS: 'http://nlp.invalid',
      NEO4J_URI: 'bolt://graph.invalid',
      NEO4J_PASSWORD: 'x',
    });
    expect(code).toBe(0);
    const config = JSON.parse(out);
    expect(config.services.corenlp.urls).toEqual(['http://nlp.invalid:80']);
    expect(config.services.neo4j.uri).toBe('bolt://graph.invalid:7687');
  });

  it('stops at start-up on a port that is not a number or out of range, in one line naming the variable', () => {
    for (const [vars, message] of [
      [{ CORENLP_URLS: 'http://127.0.0.1:abc' }, /\(from CORENLP_URLS\): "http:\/\/127\.0\.0\.1:abc" has port "abc"/],
      [{ NEO4J_URI: 'bolt://127.0.0.1:abc', NEO4J_PASSWORD: 'x' }, /\(from NEO4J_URI\): .* has port "abc"/],
      [{ NEO4J_URI: 'bolt://127.0.0.1:99999', NEO4J_PASSWORD: 'x' }, /\(from NEO4J_URI\): .*out of range 1–65535/],
    ] as const) {
      const { code, err } = kadapter(['config', '--profile', 'smoke'], vars);
      expect(code).toBe(1);
      expect(err).toMatch(message);
      expect(err.trim().split('\n')).toHaveLength(1);
    }
  });

  it('stops at start-up on an invalid environment value, naming it', () => {
    const { code, err } = kadapter(['config'], { KADAPTER_BACKEND: 'abacus' });
    expect(code).toBe(1);
    expect(err).toMatch(/^kadapter: invalid configuration: backend \(from KADAPTER_BACKEND\)/);
    expect(err.trim().split('\n')).toHaveLength(1);
  });

  /** The lines of stderr that are not the stage banner. */
  const failureLines = (err: string) =>
    err
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('kadapter: stage '));

  it('ends a JSON file that is not JSON, or not of its schema, in one line naming the file (and line)', () => {
    const run = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-bad-run-'));
    const file = path.join(run, 'task-layers', 'task_layers_config.json');
    fs.mkdirSync(path.dirname(file));
    const score = () =>
      kadapter(['evaluate', '--profile', 'smoke', '--run', run, '--task', 'relation', '--test', file]);
    fs.writeFileSync(file, '{\n  "task": "relation",\n  "row": {,\n}\n');
    let { code, err } = score();
    expect(code).toBe(1);
    expect(failureLines(err)).toEqual([expect.stringMatching(new RegExp(`^kadapter: ${file}:3:11: not JSON \\(`))]);
    fs.writeFileSync(file, '{\n  "task": 5\n}\n');
    ({ code, err } = score());
    expect(code).toBe(1);
    expect(failureLines(err)).toEqual([
      expect.stringMatching(new RegExp(`^kadapter: ${file}: .* \\(and \\d+ more\\)$`)),
    ]);
  });

  it.skipIf(process.getuid?.() !== 0)(
    `ends a permission error in one line naming the path${process.getuid?.() === 0 ? '' : ' [skipped: needs root to run the command as another user]'}`,
    () => {
      // Run as nobody, with its own cache and state, against a build folder it may not write.
      const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-nobody-'));
      fs.chmodSync(home, 0o777);
      const locked = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-locked-'));
      fs.chmodSync(locked, 0o755);
      const { code, err } = kadapter(
        ['build-data', '--profile', 'smoke', '--part', 'dependency'],
        {
          HOME: home,
          KADAPTER_CACHE_DIR: path.join(home, 'cache'),
          KADAPTER_STATE_DIR: path.join(home, 'state'),
          KADAPTER_NEO4J_HOME: path.join(home, 'neo4j'),
          KADAPTER_REPORTS_DIR: path.join(home, 'reports'),
          KADAPTER_BUILD_DIR: locked,
        },
        { uid: 65534, gid: 65534 },
      );
      expect(code).toBe(1);
      expect(failureLines(err)).toEqual([
        expect.stringMatching(new RegExp(`^kadapter: permission denied \\(\\w+\\): ${locked}/smoke`)),
      ]);
    },
  );
});
