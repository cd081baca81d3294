// Failures as a user meets them, against the real CoreNLP: one line naming the cause, exit code 1,
// and no temp file left behind.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, inject, it } from 'vitest';
import { repoRoot } from '../src/util/paths.ts';
import { testServiceEnv } from '../test/service-config.ts';
import { canMountTmpfs, mountTmpfs, tmpfsTestName } from '../test/tmpfs.ts';

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

it.skipIf(!canMountTmpfs)(
  tmpfsTestName(
    'build-data on a full disk ends in one line with the path and the free space, leaves no temp file, and resumes once there is room',
  ),
  { timeout: 600_000 },
  () => {
    // Room for the plan and the shards of the smoke profile (≈ 0.4 MiB), not for the find_head
    // export (≈ 0.6 MiB more): the disk fills while a stream is writing.
    const disk = mountTmpfs('512k')!;
    try {
      const env = {
        ...process.env,
        ...testServiceEnv('enospc'),
        CI: 'true',
        KADAPTER_BUILD_DIR: disk.dir,
        CORENLP_URLS: inject('corenlpUrl'),
      };
      const buildData = () =>
        spawnSync(
          process.execPath,
          [path.join(repoRoot, 'bin/kadapter.js'), 'build-data', '--profile', 'smoke', '--part', 'dependency'],
          { encoding: 'utf8', env },
        );
      const run = buildData();
      expect(run.status, run.stderr).toBe(1);
      const failure = run.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('kadapter: ') && !l.startsWith('kadapter: stage '));
      expect(failure).toEqual([
        expect.stringMatching(
          new RegExp(
            `^kadapter: no space left on the device writing ${disk.dir}/smoke/dependency/\\S+ \\(\\d+(\\.\\d)? (B|KiB) free there\\)$`,
          ),
        ),
      ]);
      expect(run.stderr).not.toMatch(/unexpected error|\n\s+at /);
      const temps = () => filesUnder(disk.dir).filter((f) => /\.tmp(-\d+)?$/.test(f));
      expect(temps()).toEqual([]);

      // What a run killed outright (kill -9, a power cut) leaves: a temp file of a dead process.
      // pid 2^22 + 1 is above Linux's pid_max, never a live process.
      fs.writeFileSync(path.join(disk.dir, 'smoke', 'dependency', 'train-00000.jsonl.tmp-4194305'), '{"id":');
      disk.resize('256m');
      const resumed = buildData();
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain('dependency data: removed 1 temp file(s) left by an earlier run');
      expect(temps()).toEqual([]);
    } finally {
      disk.release();
    }
  },
);
