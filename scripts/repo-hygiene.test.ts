// Repository hygiene: what git tracks agrees with what .gitignore says is not source.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function git(args: string[]) {
  return spawnSync('git', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

const probe = git(['rev-parse', '--is-inside-work-tree']);
const inCheckout = probe.status === 0 && probe.stdout.trim() === 'true';
const NAME = 'no tracked file sits under an ignored path (git ls-files -ci --exclude-standard is empty)';

describe('repository hygiene', () => {
  it.skipIf(!inCheckout)(inCheckout ? NAME : `${NAME} — skipped: not inside a git checkout`, () => {
    const run = git(['ls-files', '--cached', '--ignored', '--exclude-standard']);
    expect(run.status, run.stderr).toBe(0);
    const tracked = run.stdout.split('\n').filter(Boolean);
    // Either untrack them (git rm --cached) or stop ignoring them in .gitignore.
    const shown = tracked.slice(0, 20).join('\n') + (tracked.length > 20 ? `\n… and ${tracked.length - 20} more` : '');
    expect(tracked.length, `tracked but ignored:\n${shown}`).toBe(0);
  });
});
