// The linguistic half of build-data end to end against the real CoreNLP server: bad input is
// counted, every example is valid, the official export is readable, and a run killed with
// SIGKILL resumes to byte-identical output.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { StageManifest } from '../util/manifest.ts';
import { PlanMeta } from './collect.ts';
import { DependencyExample, FindHeadExample } from '../data/schemas.ts';
import { buildDependencyData } from '../../pipeline/dependency-data.ts';
import { exampleProblem } from './dependency.ts';
import { readJsonFile } from '../util/json-file.ts';
import { readJsonl } from '../util/jsonl.ts';
import { repoRoot } from '../util/paths.ts';
import { testServiceConfig } from '../../test/service-config.ts';
import type { Manifest } from '../util/manifest.ts';

const url = inject('corenlpUrl');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-build-'));

function smallConfig(name: string): Config {
  const base = testServiceConfig(name);
  return {
    ...base,
    paths: { ...base.paths, buildDir: path.join(scratch, name) },
    services: { ...base.services, corenlp: { ...base.services.corenlp, urls: [url] } },
    data: { ...base.data, sentences: 240, sources: ['brown', 'wordnet'], shardSize: 30, batchSize: 10 },
  };
}

// One file holding every kind of bad line, and a few good ones.
const badInput = path.join(scratch, 'bad-input.txt');
fs.writeFileSync(
  badInput,
  Buffer.concat([
    Buffer.from('The committee approved the new budget on Tuesday. It was a long meeting.\n'),
    Buffer.from('\n   \n'),
    Buffer.from('A line with a bell \u0007 character inside it.\n'),
    Buffer.from('Invalid bytes follow here: '),
    Buffer.from([0xc3, 0x28, 0xff]),
    Buffer.from(' and then more words.\n'),
    // Invalid bytes at a line's edges: the sentence splitter drops them, the line must still count.
    Buffer.from([0xff, 0xfe]),
    Buffer.from(' Leading bad bytes make this line unusable.\n'),
    Buffer.from('Trailing bad bytes make this line unusable. '),
    Buffer.from([0xc3]),
    Buffer.from('\n'),
    Buffer.from(`${'verylongword '.repeat(4200)}\n`),
    Buffer.from('Это предложение написано по-русски и не по-английски.\n'),
    Buffer.from('Rivers carry water from the mountains to the sea.\n'),
  ]),
);

async function outputsOf(dir: string): Promise<Record<string, string>> {
  const m = readJsonFile(path.join(dir, 'manifest.json'), StageManifest);
  return Object.fromEntries(m.outputs.map((o) => [o.file, o.sha256]));
}

describe('build-data, dependency half (real CoreNLP)', () => {
  let manifest: Manifest;
  let dir: string;

  beforeAll(async () => {
    const config = smallConfig('full-run');
    manifest = await buildDependencyData(config, { force: false, inputs: [badInput] });
    dir = path.join(config.paths.buildDir, 'dependency');
  });

  it('writes valid examples in every split and says so in the manifest', async () => {
    const counts = manifest.counts.examples as Record<string, number>;
    expect(counts.train! + counts.dev! + counts.test!).toBeGreaterThan(200);
    expect(counts.test).toBeGreaterThan(0);
    let n = 0;
    for (const o of manifest.outputs.filter((o) => o.file.endsWith('.jsonl'))) {
      for await (const ex of readJsonl(path.join(dir, o.file), DependencyExample)) {
        expect(exampleProblem(ex), ex.id).toBeNull();
        n++;
      }
    }
    expect(n).toBe(counts.train! + counts.dev! + counts.test!);
    expect(manifest.tools).toMatchObject({ corenlp: { origin: 'external', servers: 1 } });
  });

  it('counts every kind of bad input line instead of failing', () => {
    const skipped = (manifest.skipped.collect as Record<string, Record<string, number>>).input!;
    expect(skipped).toMatchObject({ 'control-characters': 1, 'invalid-utf8': 3, 'too-long': 1, 'not-latin-script': 1 });
    const collected = (manifest.counts.collected as Record<string, { read: number }>).input!;
    expect(collected.read).toBe(8); // blank lines are not records
  });

  it('keeps Brown gold tags aligned with the parsed tokens, and Brown test files out of train', async () => {
    for (const o of manifest.outputs.filter((o) => o.file.endsWith('.jsonl'))) {
      for await (const row of readJsonl(path.join(dir, o.file), DependencyExample)) {
        if (row.source !== 'brown') continue;
        expect(row.gold_pos).toHaveLength(row.tokens.length);
      }
    }
    const plan = fs
      .readFileSync(path.join(dir, 'plan.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const s of plan.filter((s: { source: string }) => s.source === 'brown')) {
      expect(s.split, s.doc).toBe(
        Number(s.doc.slice(2)) % 10 === 0 ? 'test' : Number(s.doc.slice(2)) % 10 === 5 ? 'dev' : 'train',
      );
    }
  });

  it('exports the official find_head files', () => {
    for (const split of ['train', 'dev', 'test']) {
      const records = JSON.parse(fs.readFileSync(path.join(dir, 'find_head', `${split}.json`), 'utf8')) as unknown[];
      expect(records.length).toBe((manifest.counts.examples as Record<string, number>)[split]);
      for (const r of records.slice(0, 20)) {
        const rec = FindHeadExample.parse(r);
        expect(rec.pairs.filter((p) => p.governor_index === 0)).toHaveLength(1);
      }
    }
  });

  it('skips a second run whose inputs are unchanged', async () => {
    const again = await buildDependencyData(smallConfig('full-run'), { force: false, inputs: [badInput] });
    expect(again.finishedAt).toBe(manifest.finishedAt);
  });

  it('redoes the find_head export alone, not the parse, for a build of an older export', async () => {
    const file = path.join(dir, 'manifest.json');
    // A build made before the export had a version of its own: its stage hash was the parse's.
    const parseHash = readJsonFile(path.join(dir, 'plan.meta.json'), PlanMeta).inputsHash;
    fs.writeFileSync(file, JSON.stringify({ ...readJsonFile(file, StageManifest), inputsHash: parseHash }));
    const again = await buildDependencyData(smallConfig('full-run'), { force: false, inputs: [badInput] });
    expect(again.finishedAt).not.toBe(manifest.finishedAt);
    expect(again.timings.sentencesParsedThisRun).toBe(0);
    expect(again.outputs).toEqual(manifest.outputs);
  });

  it('resumes after SIGKILL with byte-identical output', async () => {
    const config = smallConfig('killed-run');
    const configFile = path.join(scratch, 'killed-run.json');
    fs.writeFileSync(configFile, JSON.stringify(config));
    const killedDir = path.join(config.paths.buildDir, 'dependency');
    const run = () =>
      spawn(
        process.execPath,
        ['--import', 'tsx', path.join(repoRoot, 'test/fixtures/build-dependency.ts'), configFile, badInput],
        {
          cwd: repoRoot,
          stdio: 'ignore',
        },
      );

    const first = run();
    const firstExit = new Promise((r) => first.once('exit', r));
    const marker = path.join(killedDir, 'shards', '00001.done.json');
    while (!fs.existsSync(marker)) {
      await new Promise((r) => setTimeout(r, 25));
    }
    first.kill('SIGKILL');
    await firstExit;
    expect(fs.existsSync(path.join(killedDir, 'manifest.json'))).toBe(false);

    const second = run();
    expect(await new Promise((r) => second.once('exit', r))).toBe(0);
    expect(await outputsOf(killedDir)).toEqual(await outputsOf(dir));
    const resumed = readJsonFile(path.join(killedDir, 'manifest.json'), StageManifest);
    expect(resumed.timings.sentencesParsedThisRun).toBeLessThan(manifest.counts.planned as number);
  });
});
