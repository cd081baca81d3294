import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { completeManifest, writeManifest } from './manifest.ts';
import { besideDir, recoverReplace, replaceDir } from './replace-dir.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-replace-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function folder(dir: string, content: string, complete = true): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'data.txt'), content);
  if (complete) {
    const fields = {
      inputsHash: 'h',
      inputs: {},
      parameters: {},
      counts: {},
      skipped: {},
      outputs: [],
      timings: {},
      tools: {},
    };
    writeManifest(dir, completeManifest('test', 'smoke', new Date(), fields));
  }
}

it('replaces a folder by its rebuild and leaves nothing beside', () => {
  const dir = path.join(scratch, 'swap', 'facts');
  folder(dir, 'old');
  folder(besideDir(dir), 'new');
  replaceDir(besideDir(dir), dir);
  expect(fs.readFileSync(path.join(dir, 'data.txt'), 'utf8')).toBe('new');
  expect(fs.readdirSync(path.dirname(dir))).toEqual(['facts']);
});

it('finishes a swap cut between its renames, and never promotes an incomplete rebuild', () => {
  const dir = path.join(scratch, 'cut', 'dependency');
  folder(`${dir}.old-99999`, 'old');
  folder(besideDir(dir), 'new');
  expect(recoverReplace(dir)).toMatch(/finished an interrupted swap/);
  expect(fs.readFileSync(path.join(dir, 'data.txt'), 'utf8')).toBe('new');
  expect(fs.readdirSync(path.dirname(dir))).toEqual(['dependency']);

  const other = path.join(scratch, 'incomplete', 'facts');
  folder(besideDir(other), 'half', false);
  expect(recoverReplace(other)).toBeNull();
  expect(fs.existsSync(other)).toBe(false);
});
