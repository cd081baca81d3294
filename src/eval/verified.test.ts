import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RowResult } from './results-schema.ts';
import { UserError } from '../util/errors.ts';
import { loadVerifiedSet, scoreVerified } from './verified.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-verified-'));
const lines = (rows: unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');
const sheetRow = (n: number, id: string, auto: string) => ({ n, id, sentence_id: id, source: 's', shown: id, auto });

/** A verified relation set: a kept, a corrected (P279 → no_relation), a dropped, and one the build lost. */
function relationSet(): string {
  const dir = tmp();
  fs.writeFileSync(
    path.join(dir, 'sheet.jsonl'),
    lines([sheetRow(1, 'a', 'P279'), sheetRow(2, 'b', 'P279'), sheetRow(3, 'c', 'P31'), sheetRow(4, 'gone', 'P31')]),
  );
  fs.writeFileSync(
    path.join(dir, 'verdicts.jsonl'),
    lines([
      { id: 'a', verdict: 'keep' },
      { id: 'b', verdict: 'correct', gold: 'no_relation', reason: 'not said' },
      { id: 'c', verdict: 'drop', reason: 'adjective' },
      { id: 'gone', verdict: 'keep' },
    ]),
  );
  return dir;
}

/** A row's run folders with test predictions (id → predicted relation). */
function writeRuns(taskRuns: string, key: string, runs: Record<string, string>[]): RowResult {
  runs.forEach((preds, i) => {
    const dir = path.join(taskRuns, key, `seed-${i + 1}`);
    fs.mkdirSync(path.join(dir, 'task-layers'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'task-layers', 'task_layers_config.json'),
      JSON.stringify({ labels: ['P279', 'P31', 'no_relation'] }),
    );
    fs.writeFileSync(
      path.join(dir, 'predictions-test.jsonl'),
      lines(Object.entries(preds).map(([id, predicted]) => ({ id, gold: '?', predicted }))),
    );
  });
  const [id, combine] = key.includes('-') ? key.split('-') : [key, '—'];
  return {
    key,
    row: id!,
    label: key,
    combine: combine!,
    replicates: 1,
    parameters: 1,
    test: {},
    dev: {},
    perSeed: runs.map((_, i) => ({ seed: i + 1, test: {}, dev: {}, bestEpoch: 0, epochsRun: 1, seconds: 0 })),
    seconds: 0,
  };
}

describe('verified sets', () => {
  it('counts the verdicts and keeps the verified gold of kept and corrected examples', () => {
    const set = loadVerifiedSet('relation', relationSet())!;
    expect(set.counts).toEqual({ judged: 4, keep: 2, correct: 1, drop: 1 });
    expect([...set.gold]).toEqual([
      ['a', ['P279']],
      ['b', ['no_relation']],
      ['gone', ['P31']],
    ]);
    expect(set.auto.get('b')).toEqual(['P279']);
  });

  it('refuses a sheet row without a verdict, a verdict for no sheet row, and a correction without its label', () => {
    const dir = relationSet();
    const verdicts = path.join(dir, 'verdicts.jsonl');
    const all = fs.readFileSync(verdicts, 'utf8');
    fs.writeFileSync(verdicts, all.split('\n').slice(1).join('\n'));
    expect(() => loadVerifiedSet('relation', dir)).toThrow(/1 sheet rows have no verdict \(first: a\)/);
    fs.writeFileSync(verdicts, all + lines([{ id: 'zz', verdict: 'keep' }]));
    expect(() => loadVerifiedSet('relation', dir)).toThrow(/a verdict for zz/);
    fs.writeFileSync(verdicts, lines([{ id: 'a', verdict: 'correct', reason: 'x' }]));
    expect(() => loadVerifiedSet('relation', dir)).toThrow(UserError);
  });

  it('scores each row on the verified gold from its runs, counts what the test sample lost, and bootstraps F+L', () => {
    const set = loadVerifiedSet('relation', relationSet())!;
    const runs = path.join(tmp(), 'relation');
    // The base predicts the automatic labels; F+L predicts the verified ones.
    const base = writeRuns(runs, 'base', [{ a: 'P279', b: 'P279', c: 'P31' }]);
    const fl = writeRuns(runs, 'FL-concat', [
      { a: 'P279', b: 'no_relation', c: 'P31' },
      { a: 'P279', b: 'no_relation', c: 'no_relation' },
    ]);
    const v = scoreVerified({
      set,
      taskRuns: runs,
      rows: [base, fl],
      metric: 'microF1',
      chosenCombine: 'concat',
      references: ['base'],
      samples: 50,
    });
    expect(v).toMatchObject({ judged: 4, keep: 2, correct: 1, drop: 1, notInTestSample: 1, examples: 2 });
    expect(v.agreement).toBeCloseTo(2 / 3);
    const byKey = Object.fromEntries(v.rows.map((r) => [r.key, r]));
    // Verified gold a=P279, b=no_relation: the base guesses 2, right 1 (P 0.5, R 1); F+L is exact.
    expect(byKey.base!.verified.mean).toBeCloseTo(2 / 3);
    expect(byKey['FL-concat']!.verified).toEqual({ mean: 1, std: 0 });
    // Against the automatic gold (a=P279, b=P279) the base is exact and F+L finds one of two.
    expect(byKey.base!.automatic.mean).toBe(1);
    expect(byKey['FL-concat']!.automatic.mean).toBeCloseTo(2 / 3);
    expect(v.bootstrap.base!.diff).toBeCloseTo(1 / 3);
  });

  it('scores nothing where the build holds none of the verified examples', () => {
    const set = loadVerifiedSet('relation', relationSet())!;
    const runs = path.join(tmp(), 'relation');
    const base = writeRuns(runs, 'base', [{ other: 'P31' }]);
    const v = scoreVerified({
      set,
      taskRuns: runs,
      rows: [base],
      metric: 'microF1',
      chosenCombine: null,
      references: [],
      samples: 10,
    });
    expect(v).toMatchObject({ examples: 0, notInTestSample: 3, rows: [], bootstrap: {} });
  });
});
