import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { afterEach, expect, it, vi } from 'vitest';
import { readJsonLines, removeStaleTemps, writeFileAtomic, writeJsonlAtomic } from './jsonl.ts';
import { systemErrorLine } from './errors.ts';
import { canMountTmpfs, mountTmpfs, tmpfsTestName } from '../../test/tmpfs.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

it('skips and counts malformed and invalid lines, passing the valid ones on', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-jsonl-')), 'rows.jsonl');
  fs.writeFileSync(file, ['{"a":1}', '{"a":', '', '{"a":"x"}', '{"a":2}', '[1]'].join('\n'));
  const skips: Record<string, number> = {};
  const rows: { a: number }[] = [];
  for await (const r of readJsonLines(file, z.strictObject({ a: z.number() }), skips)) rows.push(r);
  expect(rows).toEqual([{ a: 1 }, { a: 2 }]);
  expect(skips['malformed JSON line']).toBe(1);
  expect(
    Object.entries(skips)
      .filter(([k]) => k.startsWith('invalid row'))
      .reduce((n, [, v]) => n + v, 0),
  ).toBe(2);
});

it('fsyncs an atomic write: the temp file before its rename, then the folder', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-atomic-'));
  const file = path.join(dir, 'rows.jsonl');
  const opened = new Map<number, string>();
  const events: string[] = [];
  const open = fs.openSync;
  vi.spyOn(fs, 'openSync').mockImplementation((...args: Parameters<typeof fs.openSync>) => {
    const fd = open(...args);
    opened.set(fd, String(args[0]));
    return fd;
  });
  const fsync = fs.fsyncSync;
  vi.spyOn(fs, 'fsyncSync').mockImplementation((fd: number) => {
    events.push(`fsync ${opened.get(fd)}`);
    fsync(fd);
  });
  const rename = fs.renameSync;
  vi.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
    events.push(`rename ${String(from)} ${String(to)}`);
    rename(from, to);
  });
  writeJsonlAtomic(file, [{ a: 1 }]);
  const tmp = `${file}.tmp-${process.pid}`;
  expect(events).toEqual([`fsync ${tmp}`, `rename ${tmp} ${file}`, `fsync ${dir}`]);
  expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}\n');
});

it('removes the temp files of dead writers under a folder, and counts them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-temps-'));
  fs.mkdirSync(path.join(dir, 'find_head'));
  fs.mkdirSync(path.join(dir, 'checkpoint.tmp'));
  fs.writeFileSync(path.join(dir, 'checkpoint.tmp', 'state.json'), '{}');
  // pid 2^22 + 1 is above Linux's pid_max: never a live process.
  fs.writeFileSync(path.join(dir, 'train-00000.jsonl.tmp-4194305'), 'partial');
  fs.writeFileSync(path.join(dir, 'find_head', 'train.json.tmp-4194305'), '[');
  fs.writeFileSync(path.join(dir, `plan.jsonl.tmp-${process.ppid}`), 'a live writer');
  fs.writeFileSync(path.join(dir, 'train-00000.jsonl'), 'kept');
  expect(removeStaleTemps(dir)).toBe(3);
  expect(fs.readdirSync(dir).sort()).toEqual(['find_head', 'plan.jsonl.tmp-' + process.ppid, 'train-00000.jsonl']);
  expect(fs.readdirSync(path.join(dir, 'find_head'))).toEqual([]);
});

it.skipIf(!canMountTmpfs)(
  tmpfsTestName('a disk-full atomic write leaves no temp file and is one line naming the file and the free space'),
  () => {
    const disk = mountTmpfs('1m')!;
    try {
      const file = path.join(disk.dir, 'shard.jsonl');
      const rows = Array.from({ length: 3000 }, (_, i) => ({ i, text: 'x'.repeat(500) }));
      let error: unknown;
      try {
        writeJsonlAtomic(file, rows);
      } catch (e) {
        error = e;
      }
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      expect(fs.readdirSync(disk.dir)).toEqual([]);
      const line = systemErrorLine(error)!;
      expect(line).toMatch(
        new RegExp(`^no space left on the device writing ${file} \\(\\d+(\\.\\d)? (B|KiB|MiB) free there\\)$`),
      );
      // A write that fits still works on the same disk.
      writeFileAtomic(file, 'small\n');
      expect(fs.readFileSync(file, 'utf8')).toBe('small\n');
    } finally {
      disk.release();
    }
  },
);

it.skipIf(!canMountTmpfs)(
  tmpfsTestName('a write to a read-only file system is one line naming the file, and leaves nothing'),
  () => {
    const disk = mountTmpfs('64k', 'ro')!;
    try {
      const file = path.join(disk.dir, 'manifest.json');
      let error: unknown;
      try {
        writeFileAtomic(file, '{}\n');
      } catch (e) {
        error = e;
      }
      expect(systemErrorLine(error)).toBe(`read-only file system: ${file}.tmp-${process.pid}`);
      expect(fs.readdirSync(disk.dir)).toEqual([]);
    } finally {
      disk.release();
    }
  },
);
