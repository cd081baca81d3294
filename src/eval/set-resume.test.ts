import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TaskResult } from './results-schema.ts';
import {
  SET_RESULT_FILE,
  SET_RESULT_FORMAT,
  forgetSetResult,
  readSetResult,
  setFingerprint,
  writeSetResult,
  type SetInputs,
} from './set-resume.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-set-resume-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const example = (id: string, gold: string[]) => ({ id, ids: [0, 5, 7, 2], positions: [1], gold });
const inputs = (): SetInputs => ({
  settings: { epochs: 30, patience: 3, seeds: [1, 2, 3] },
  protocol: 'frozen',
  backend: 'tensorflow',
  rows: [{ id: 'base' }, { id: 'FL', combine: 'sum' }],
  components: { base: ['adapter:weights:abc'], multitask: [] },
  bases: { base: 'sha-base', multitask: null },
  labels: ['person', 'location'],
  splits: { train: [example('a', ['person'])], dev: [example('b', ['location'])], test: [example('c', ['person'])] },
});

const result: TaskResult = {
  task: 'entity-typing',
  set: { name: 'kg', provenance: 'kg-distant-supervision', noise: { measured: false } },
  source: 'datasets/build/smoke/entity-typing',
  metric: 'loose-micro-f1',
  labels: 2,
  examples: { train: 1, dev: 1, test: 1 },
  skipped: {},
  droppedAsSeenInPretraining: {},
  droppedBySource: {},
  sourceMix: {},
  sampled: {},
  unseenTestLabels: {},
  poolSeconds: 1,
  rows: [],
  chosenCombine: null,
  bootstrap: {},
  bestBeforeLast: 1,
  efficiency: [],
};

describe('a set result kept between evaluations', () => {
  it('changes its fingerprint with any input: a gold label, a setting, a component, a base', () => {
    const f = setFingerprint(inputs());
    expect(setFingerprint(inputs())).toBe(f);
    const gold = inputs();
    gold.splits.test![0]!.gold = ['location'];
    const epochs = { ...inputs(), settings: { epochs: 31, patience: 3, seeds: [1, 2, 3] } };
    const component = { ...inputs(), components: { base: ['adapter:weights:abd'], multitask: [] } };
    const base = { ...inputs(), bases: { base: 'sha-other', multitask: null } };
    const fingerprints = [gold, epochs, component, base].map(setFingerprint);
    expect(new Set([f, ...fingerprints]).size).toBe(5);
  });

  it('is read back only under the same fingerprint and format, and is gone once forgotten', () => {
    const dir = path.join(scratch, 'runs', 'entity-typing');
    const f = setFingerprint(inputs());
    expect(readSetResult(dir, f)).toBeNull();
    writeSetResult(dir, f, result);
    expect(readSetResult(dir, f)).toEqual(result);
    expect(readSetResult(dir, setFingerprint({ ...inputs(), protocol: 'finetune' }))).toBeNull();
    const file = path.join(dir, SET_RESULT_FILE);
    const kept = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...kept, format: SET_RESULT_FORMAT + 1 }));
    expect(readSetResult(dir, f)).toBeNull();
    fs.writeFileSync(file, '{"format": 1, "fingerprint": "x"'); // cut short by a kill
    expect(readSetResult(dir, f)).toBeNull();
    writeSetResult(dir, f, result);
    forgetSetResult(dir);
    expect(fs.existsSync(file)).toBe(false);
    expect(readSetResult(dir, f)).toBeNull();
  });
});
