import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { completeManifest, describeFile, isUpToDate, StageManifest, writeManifest } from './manifest.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-manifest-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function built(name: string): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'train.jsonl'), '{"a":1}\n{"a":2}\n');
  const manifest = completeManifest('test', 'smoke', new Date(), {
    inputsHash: 'h',
    inputs: {},
    parameters: {},
    counts: {},
    skipped: {},
    outputs: [describeFile(dir, 'train.jsonl')],
    timings: {},
    tools: {},
  });
  writeManifest(dir, manifest);
  return dir;
}

it('describes a file as it is: newlines, bytes, sha256', () => {
  const dir = built('describe');
  expect(describeFile(dir, 'train.jsonl')).toEqual({
    file: 'train.jsonl',
    lines: 2,
    bytes: 16,
    sha256: createHash('sha256').update('{"a":1}\n{"a":2}\n').digest('hex'),
  });
});

it('is up to date only when every output has its recorded size and sha256', () => {
  const dir = built('intact');
  expect(isUpToDate(dir, 'h')).toBe(true);
  expect(isUpToDate(dir, 'other inputs')).toBe(false);

  // Same size, other bytes: only the hash tells.
  const same = built('same-size');
  fs.writeFileSync(path.join(same, 'train.jsonl'), '{"a":1}\n{"a":3}\n');
  const lines: string[] = [];
  expect(isUpToDate(same, 'h', (l) => lines.push(l))).toBe(false);
  expect(lines.join('\n')).toMatch(/train\.jsonl has sha256 .* recorded/);

  const cut = built('cut');
  fs.writeFileSync(path.join(cut, 'train.jsonl'), '{"a":1}\n');
  expect(isUpToDate(cut, 'h')).toBe(false);

  const gone = built('gone');
  fs.rmSync(path.join(gone, 'train.jsonl'));
  expect(isUpToDate(gone, 'h')).toBe(false);
});

it('reads a stage manifest as it is written', () => {
  const manifest = {
    stage: 'build-data/dependency',
    profile: 'smoke',
    complete: true,
    inputsHash: 'h',
    inputs: {},
    parameters: {},
    counts: {},
    skipped: {},
    outputs: [{ file: 'train-00000.jsonl', lines: 88, bytes: 53595, sha256: 'a'.repeat(64) }],
    timings: { planSeconds: 6.7 },
    tools: { node: 'v20' },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
  };
  expect(StageManifest.parse(manifest)).toEqual(manifest);
});
