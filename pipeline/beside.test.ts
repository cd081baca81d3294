// ablate beside evaluate: when it is started, with which options, and how its end is reported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ablateArgs, ablateBesideEvaluate, startStageProcess } from './beside.ts';
import { STAGES } from './stages.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-beside-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('ablate beside evaluate', () => {
  it('runs beside only when both stages are asked for and there is a second core', () => {
    expect(ablateBesideEvaluate(STAGES, 2)).toBe(true);
    expect(ablateBesideEvaluate(STAGES, 1)).toBe(false);
    expect(
      ablateBesideEvaluate(
        STAGES.filter((s) => s.name !== 'ablate'),
        8,
      ),
    ).toBe(false);
    expect(
      ablateBesideEvaluate(
        STAGES.filter((s) => s.name === 'ablate'),
        8,
      ),
    ).toBe(false);
  });

  it("passes on the run's profile, --force, base model and sets", () => {
    expect(ablateArgs({ profile: 'smoke' })).toEqual(['ablate', '--profile', 'smoke']);
    expect(
      ablateArgs({
        profile: 'default',
        force: true,
        baseModel: '/m',
        dataDir: { relation: ['tacred=/d/tacred', 'kbp'], 'entity-typing': ['/d/figer'] },
      }),
    ).toEqual([
      'ablate',
      '--profile',
      'default',
      '--force',
      '--base-model',
      '/m',
      '--data-dir',
      'relation=tacred=/d/tacred',
      '--data-dir',
      'relation=kbp',
      '--data-dir',
      'entity-typing=/d/figer',
    ]);
  });

  it('reports a failed stage process with its command and exit code', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      CI: 'true',
      KADAPTER_BUILD_DIR: path.join(scratch, 'build'),
      KADAPTER_REPORTS_DIR: path.join(scratch, 'reports'),
      KADAPTER_STATE_DIR: path.join(scratch, 'state'),
    });
    try {
      // Nothing is built: ablate stops with exit code 1.
      const run = startStageProcess(['ablate', '--profile', 'smoke']);
      await expect(run.done).rejects.toThrow(
        'kadapter ablate --profile smoke (run beside evaluate) ended with exit code 1',
      );
    } finally {
      process.env = saved;
    }
  }, 60_000);
});
