// `kadapter build-data --profile smoke` as a user runs it: both halves, real services, exit 0,
// complete manifests and valid examples on disk.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, inject, it } from 'vitest';
import { repoRoot } from '../src/paths.ts';
import { DependencyExample, RelationExample } from '../src/data/schemas.ts';
import { testServiceEnv } from '../test/service-config.ts';

it('builds the smoke data end to end from the command line', () => {
  const neo4j = inject('neo4j');
  const buildRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-cli-build-'));
  const run = spawnSync(process.execPath, [path.join(repoRoot, 'bin/kadapter.js'), 'build-data', '--profile', 'smoke'], {
    encoding: 'utf8',
    env: {
      ...process.env,
      ...testServiceEnv('cli-build'),
      CI: 'true',
      KADAPTER_BUILD_DIR: buildRoot,
      CORENLP_URLS: inject('corenlpUrl'),
      NEO4J_URI: neo4j.uri,
      NEO4J_USER: neo4j.user,
      NEO4J_PASSWORD: neo4j.password,
    },
  });
  expect(run.status, run.stderr).toBe(0);
  const dir = path.join(buildRoot, 'smoke');
  for (const half of ['dependency', 'facts']) {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, half, 'manifest.json'), 'utf8'));
    expect(manifest.complete).toBe(true);
    expect(manifest.profile).toBe('smoke');
  }
  const dependency = fs.readFileSync(path.join(dir, 'dependency', 'train-00000.jsonl'), 'utf8').trim().split('\n');
  expect(dependency.length).toBeGreaterThan(50);
  for (const line of dependency) DependencyExample.parse(JSON.parse(line));
  for (const split of ['train', 'dev', 'test']) {
    const text = fs.readFileSync(path.join(dir, 'facts', `${split}.jsonl`), 'utf8').trim();
    for (const line of text ? text.split('\n') : []) RelationExample.parse(JSON.parse(line));
  }
  expect(run.stderr).not.toContain(neo4j.password);
});
