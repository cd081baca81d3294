// Errors that end a command with one clear line. Anything else is a bug and keeps its stack.
import fs from 'node:fs';
import path from 'node:path';

/** The command line was wrong: exit code 2, like any usage error. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Something the user can fix: a bad config value, a missing tool, a service that would not start. */
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
  }
}

export class ConfigError extends UserError {
  override name = 'ConfigError';
}

/** Bytes as a short human figure: 512 B, 3.1 KiB, 2.0 GiB. */
function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** Free space for an unprivileged writer on the file system holding `file` (its nearest existing folder), or null. */
export function freeSpace(file: string): string | null {
  for (let p = path.resolve(file); ; p = path.dirname(p)) {
    try {
      const s = fs.statfsSync(p);
      return formatBytes(s.bavail * s.bsize);
    } catch {
      if (p === path.dirname(p)) return null;
    }
  }
}

/**
 * One line for an error the operating system or a stream raised (disk full, permission denied,
 * too many open files, a stream used after it ended), naming its cause and the path; null for
 * anything else, which is a bug and keeps its stack.
 */
export function systemErrorLine(err: unknown): string | null {
  if (!err || typeof err !== 'object') return null;
  const e = err as NodeJS.ErrnoException & { dest?: string };
  if (typeof e.code !== 'string') return null;
  const where = e.path ? `${e.path}${e.dest ? ` → ${e.dest}` : ''}` : null;
  const at = where ? `: ${where}` : '';
  switch (e.code) {
    case 'ENOSPC': {
      const free = e.path ? freeSpace(e.path) : null;
      return `no space left on the device${where ? ` writing ${where}` : ''}${free ? ` (${free} free there)` : ''}`;
    }
    case 'EDQUOT':
      return `disk quota exceeded${where ? ` writing ${where}` : ''}`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied${e.syscall ? ` (${e.syscall})` : ''}${at}`;
    case 'EROFS':
      return `read-only file system${at}`;
    case 'EMFILE':
    case 'ENFILE':
      return `too many open files${at} (raise the limit: ulimit -n)`;
  }
  if (e.code.startsWith('ERR_STREAM_')) return `stream error (${e.code}): ${e.message}${at}`;
  // Any other system call that failed (ENOENT, EIO, ENOTDIR, …): Node's own message names the call and path.
  if (typeof e.syscall === 'string' && typeof e.errno === 'number') return e.message;
  return null;
}
