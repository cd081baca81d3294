// Reliability through the command line on the smoke profile, real services: resume checks what it
// keeps against the shard markers and manifests, and --force builds beside the finished folder,
// replacing it only when the new one is complete (an unreachable service leaves it untouched).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../src/util/paths.ts';
import { testServiceEnv } from '../test/service-config.ts';

const buildRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-reliability-build-'));
const dir = path.join(buildRoot, 'smoke');
const serviceEnv = testServiceEnv('reliability');

function kadapter(args: string[], env: Record<string, string> = {}) {
  const neo4j = inject('neo4j');
  return spawnSync(
    process.execPath,
    [path.join(repoRoot, 'bin/kadapter.js'), 'build-data', '--profile', 'smoke', ...args],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        ...serviceEnv,
        CI: 'true',
        KADAPTER_BUILD_DIR: buildRoot,
        CORENLP_URLS: inject('corenlpUrl'),
        NEO4J_URI: neo4j.uri,
        NEO4J_USER: neo4j.user,
        NEO4J_PASSWORD: neo4j.password,
        ...env,
      },
    },
  );
}

/** Every file under a folder with its sha256 and modification time. */
function snapshot(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(folder, { recursive: true }) as string[]) {
    const p = path.join(folder, f);
    const st = fs.statSync(p);
    if (st.isFile()) out[f] = `${createHash('sha256').update(fs.readFileSync(p)).digest('hex')} ${st.mtimeMs}`;
  }
  return out;
}

const manifestOf = (half: string) => JSON.parse(fs.readFileSync(path.join(dir, half, 'manifest.json'), 'utf8'));
const linesOf = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
/** The last line on stderr that is not progress. */
const lastLine = (stderr: string) => stderr.trim().split('\n').at(-1)!;

describe('build-data reliability (smoke profile, real CoreNLP and Neo4j)', () => {
  let trainCount: number;
  let shard: string;
  let shardText: string;

  beforeAll(() => {
    const run = kadapter([]);
    expect(run.status, run.stderr).toBe(0);
    trainCount = manifestOf('dependency').counts.examples.train;
    shard = path.join(dir, 'dependency', 'train-00000.jsonl');
    shardText = fs.readFileSync(shard, 'utf8');
  }, 600_000);

  it('resume redoes a finished shard cut short, says so, and counts from the files', () => {
    const full = linesOf(shard);
    expect(full.length).toBeGreaterThan(40);
    fs.writeFileSync(
      shard,
      full
        .slice(0, 40)
        .map((l) => `${l}\n`)
        .join(''),
    );
    const run = kadapter(['--part', 'dependency']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /shard 00000 does not match its marker \(train-00000\.jsonl has \d+ bytes, \d+ recorded\), making it again/,
    );
    expect(run.stderr).toContain(`dependency data: ${trainCount} train,`);
    expect(fs.readFileSync(shard, 'utf8')).toBe(shardText);
    // The manifest and the find_head export agree with the files on disk.
    const manifest = manifestOf('dependency');
    expect(manifest.counts.examples.train).toBe(trainCount);
    for (const o of manifest.outputs as { file: string; bytes: number; sha256: string }[]) {
      const bytes = fs.readFileSync(path.join(dir, 'dependency', o.file));
      expect(bytes.length, o.file).toBe(o.bytes);
      expect(createHash('sha256').update(bytes).digest('hex'), o.file).toBe(o.sha256);
    }
    const findHead = JSON.parse(fs.readFileSync(path.join(dir, 'dependency', 'find_head', 'train.json'), 'utf8'));
    expect(findHead).toHaveLength(trainCount);
  });

  it('a shard changed in place (same size, other bytes) is not "up to date": it is redone', () => {
    // Swap two characters in the middle of a token: same size, other hash.
    const i = shardText.indexOf('"tokens":["') + 11;
    const changed = `${shardText.slice(0, i)}${shardText[i + 1]}${shardText[i]}${shardText.slice(i + 2)}`;
    expect(changed).not.toBe(shardText);
    expect(changed.length).toBe(shardText.length);
    fs.writeFileSync(shard, changed);
    const run = kadapter(['--part', 'dependency']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('dependency data: up to date');
    expect(run.stderr).toMatch(/shard 00000 does not match its marker \(train-00000\.jsonl has sha256 .* recorded\)/);
    expect(fs.readFileSync(shard, 'utf8')).toBe(shardText);
  });

  it('facts: an output changed in place (same size) is not "up to date"', () => {
    const manifest = manifestOf('facts');
    const biggest = (manifest.outputs as { file: string; bytes: number }[]).sort((a, b) => b.bytes - a.bytes)[0]!;
    expect(biggest.bytes).toBeGreaterThan(10);
    const file = path.join(dir, 'facts', biggest.file);
    const text = fs.readFileSync(file);
    const changed = Buffer.from(text);
    changed[2] = changed[2] === 0x61 ? 0x62 : 0x61;
    fs.writeFileSync(file, changed);
    const run = kadapter(['--part', 'facts']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('facts: up to date');
    expect(run.stderr).toMatch(new RegExp(`${biggest.file.replace('.', '\\.')} has sha256 .* recorded`));
    expect(fs.readFileSync(file).equals(text)).toBe(true);
  });

  it('--force with CoreNLP unreachable leaves dependency/ untouched and fails in one line', () => {
    const before = snapshot(path.join(dir, 'dependency'));
    const run = kadapter(['--part', 'dependency', '--force'], { CORENLP_URLS: 'http://127.0.0.1:1' });
    expect(run.status).toBe(1);
    expect(lastLine(run.stderr)).toMatch(/^kadapter: .*CoreNLP.*127\.0\.0\.1:1/);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(snapshot(path.join(dir, 'dependency'))).toEqual(before);
  });

  it('--force with Neo4j unreachable leaves facts/ untouched and fails in one line', () => {
    const before = snapshot(path.join(dir, 'facts'));
    const run = kadapter(['--part', 'facts', '--force'], { NEO4J_URI: 'bolt://127.0.0.1:1' });
    expect(run.status).toBe(1);
    expect(lastLine(run.stderr)).toMatch(/^kadapter: .*Neo4j.*127\.0\.0\.1:1/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot(path.join(dir, 'facts'))).toEqual(before);
  });

  it('--force rebuilds beside and swaps: the same data, a new manifest, nothing left beside', () => {
    const before = manifestOf('dependency');
    const factsBefore = manifestOf('facts');
    const run = kadapter(['--force']);
    expect(run.status, run.stderr).toBe(0);
    const after = manifestOf('dependency');
    expect(after.finishedAt).not.toBe(before.finishedAt);
    expect(after.outputs).toEqual(before.outputs);
    expect(manifestOf('facts').finishedAt).not.toBe(factsBefore.finishedAt);
    expect(fs.readdirSync(dir).sort()).toEqual(['dependency', 'facts', 'heldout']);
  }, 300_000);
});
