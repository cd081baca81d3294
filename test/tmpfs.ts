// A small tmpfs, for tests of a full disk: mounted on a fresh folder, unmounted by `release`.
// Mounting needs root (or CAP_SYS_ADMIN); where it is refused, `mountTmpfs` returns null and
// the test says in its name that it was skipped and why.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Grows (or shrinks) the file system in place, keeping its files. */
  resize(size: string): void;
  release(): void;
}

export function mountTmpfs(size: string, options = ''): Tmpfs | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-tmpfs-'));
  const run = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${options ? `,${options}` : ''}`, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    dir,
    resize(size: string) {
      const r = spawnSync('mount', ['-o', `remount,size=${size}`, dir], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`remount ${dir}: ${r.stderr}`);
    },
    release() {
      spawnSync('umount', ['-l', dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether a tmpfs can be mounted here; probed once. */
export const canMountTmpfs: boolean = (() => {
  const t = mountTmpfs('64k');
  t?.release();
  return t !== null;
})();

/** A test name that says why the test is skipped where it cannot run. */
export function tmpfsTestName(name: string): string {
  return canMountTmpfs ? name : `${name} [skipped: cannot mount a tmpfs here (needs root)]`;
}
