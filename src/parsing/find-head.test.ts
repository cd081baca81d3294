import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { exportFindHead, toFindHead } from './find-head.ts';
import { systemErrorLine } from '../util/errors.ts';
import { repoRoot } from '../util/paths.ts';
import { canMountTmpfs, mountTmpfs, tmpfsTestName } from '../../test/tmpfs.ts';
import { ASTRAL_CODE_POINTS, ASTRAL_EXAMPLE, pythonSlice } from '../../test/fixtures/astral-sentence.ts';
import { FindHeadExample } from '../data/schemas.ts';

const EXAMPLE = {
  id: 'x',
  source: 'test',
  text: 'Dogs bark loudly .',
  tokens: ['Dogs', 'bark', 'loudly', '.'],
  offsets: [
    [0, 4],
    [5, 9],
    [10, 16],
    [17, 18],
  ],
  heads: [2, 0, 2, 2],
  deprels: ['nsubj', 'root', 'advmod', 'punct'],
  pos: ['NNS', 'VBP', 'RB', '.'],
};

/** A shard of `n` examples, its last line cut in the middle as a truncated copy leaves it. */
function truncatedShard(dir: string, n: number): string {
  const file = path.join(dir, 'train-00000.jsonl');
  const line = `${JSON.stringify(EXAMPLE)}\n`;
  fs.writeFileSync(file, line.repeat(n) + line.slice(0, 40));
  return file;
}

it('writes the official find_head record for the fox sentence', () => {
  const text = 'The quick brown fox jumps over the lazy dog.';
  const words = ['The', 'quick', 'brown', 'fox', 'jumps', 'over', 'the', 'lazy', 'dog', '.'];
  const starts = [0, 4, 10, 16, 20, 26, 31, 35, 40, 43];
  const record = toFindHead({
    id: 'x',
    source: 'test',
    text,
    tokens: words,
    offsets: words.map((w, i) => [starts[i]!, starts[i]! + w.length] as [number, number]),
    heads: [4, 4, 4, 5, 0, 9, 9, 9, 5, 5],
    deprels: ['det', 'amod', 'amod', 'nsubj', 'root', 'case', 'det', 'amod', 'obl', 'punct'],
    pos: ['DT', 'JJ', 'JJ', 'NN', 'VBZ', 'IN', 'DT', 'JJ', 'NN', '.'],
  });
  expect(record.sent).toBe(text);
  expect(record.tokens[0]).toEqual({ '1': { start: 0, end: 3 } });
  expect(record.tokens[9]).toEqual({ '10': { start: 43, end: 44 } });
  expect(record.pairs[0]).toEqual({ dependent_index: 1, governor_index: 4, dep: 'det' });
  expect(record.pairs[4]).toEqual({ dependent_index: 5, governor_index: 0, dep: 'root' });
  for (const t of record.tokens) {
    const [index, span] = Object.entries(t)[0]!;
    expect(text.slice(span.start, span.end)).toBe(words[Number(index) - 1]);
  }
});

it('writes token spans in code points after an emoji and CJK, as Python indexes the sentence', () => {
  const record = toFindHead(ASTRAL_EXAMPLE);
  expect(record.tokens.map((t, i) => t[String(i + 1)])).toEqual(
    ASTRAL_CODE_POINTS.map(([start, end]) => ({ start, end })),
  );
});

it('reads back from the exported file the words the parse had, cut by code points', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-findhead-'));
  const shard = path.join(dir, 'train-00000.jsonl');
  fs.writeFileSync(shard, `${JSON.stringify(ASTRAL_EXAMPLE)}\n${JSON.stringify(EXAMPLE)}\n`);
  const { file } = await exportFindHead([shard], path.join(dir, 'find_head'), 'train');
  const records = (JSON.parse(fs.readFileSync(file, 'utf8')) as unknown[]).map((r) => FindHeadExample.parse(r));
  for (const [k, ex] of [ASTRAL_EXAMPLE, EXAMPLE].entries()) {
    const words = records[k]!.tokens.map((t) => Object.values(t)[0]!).map((s) =>
      pythonSlice(records[k]!.sent, s.start, s.end),
    );
    expect(words).toEqual(ex.tokens);
  }
});

it('refuses a token span that cuts a character in two rather than write a wrong offset', () => {
  const offsets = ASTRAL_EXAMPLE.offsets.map(([s, e], i) => (i === 0 ? [s, 1] : [s, e]) as [number, number]);
  expect(() => toFindHead({ ...ASTRAL_EXAMPLE, offsets })).toThrow(/\[0, 1\) cuts a character/);
});

it('stops on a truncated shard with the shard line, not a stream error, and leaves no temp file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-findhead-'));
  // Enough rows that writes are pending in the stream when the bad line is read.
  const shard = truncatedShard(dir, 5000);
  const out = path.join(dir, 'find_head');
  // In a process of its own, as the pipeline runs it: an unhandled stream error would end it
  // before the rejection is reported.
  const script = path.join(dir, 'export.ts');
  fs.writeFileSync(
    script,
    [
      `import { exportFindHead } from ${JSON.stringify(path.join(repoRoot, 'src/parsing/find-head.ts'))};`,
      `exportFindHead([${JSON.stringify(shard)}], ${JSON.stringify(out)}, 'train').then(`,
      `  () => console.log('exported'),`,
      `  (e) => setTimeout(() => console.log('rejected: ' + e.message), 300),`,
      `);`,
    ].join('\n'),
  );
  const run = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout.trim()).toMatch(new RegExp(`^rejected: ${shard}:5001: not JSON`));
  expect(fs.readdirSync(out)).toEqual([]);
});

it.skipIf(!canMountTmpfs)(
  tmpfsTestName('a full disk during the find_head export is the write error with its path, and no temp file stays'),
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-findhead-'));
    const file = path.join(dir, 'train-00000.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(EXAMPLE)}\n`.repeat(20_000));
    const disk = mountTmpfs('256k')!;
    try {
      const error = await exportFindHead([file], disk.dir, 'train').then(
        () => null,
        (e: unknown) => e,
      );
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      expect(systemErrorLine(error)).toMatch(
        new RegExp(`^no space left on the device writing ${disk.dir}/train\\.json\\.tmp-${process.pid} \\(`),
      );
      await new Promise((r) => setTimeout(r, 200));
      expect(fs.readdirSync(disk.dir)).toEqual([]);
    } finally {
      disk.release();
    }
  },
);
