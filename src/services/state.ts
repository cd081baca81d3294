// The state file of services kept running by `services start`, one per profile, so that later
// commands use them instead of starting their own.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ProfileName } from '../config/schema.ts';
import { pidAlive } from '../util/pid.ts';

/** A kept service's process; its definition's own fields (how to reach it) sit beside these. */
export const KeptService = z.looseObject({
  pid: z.number().int().positive(),
  logFile: z.string(),
  version: z.string().nullable(),
  coldStartMs: z.number(),
  startedAt: z.string(),
});
export type KeptService = z.infer<typeof KeptService>;

/** On disk: `profile` and one key per kept service. */
const StateFile = z.object({ profile: z.string() }).catchall(KeptService);

export interface KeptServices {
  profile: string;
  services: Record<string, KeptService>;
}

export function stateFile(stateDir: string, profile: ProfileName): string {
  return path.join(stateDir, `services-${profile}.json`);
}

export function readState(stateDir: string, profile: ProfileName): KeptServices | null {
  let raw: string;
  try {
    raw = fs.readFileSync(stateFile(stateDir, profile), 'utf8');
  } catch {
    return null;
  }
  const parsed = StateFile.safeParse(JSON.parse(raw));
  if (!parsed.success) return null;
  const { profile: stateProfile, ...services } = parsed.data;
  return { profile: stateProfile, services };
}

export function writeState(stateDir: string, profile: ProfileName, state: KeptServices): void {
  const file = stateFile(stateDir, profile);
  fs.mkdirSync(stateDir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify({ profile: state.profile, ...state.services }, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

export function removeState(stateDir: string, profile: ProfileName): void {
  fs.rmSync(stateFile(stateDir, profile), { force: true });
}

/** Logs kept per profile, service and kind: the newest runs' (a run that ends cleanly removes its own). */
export const KEPT_LOG_RUNS = 5;


/**
 * Removes the logs of earlier runs of this profile, service and kind beyond the newest
 * `keep - 1`, so that with the one about to be written there are at most `keep`. The log of a
 * process still running is never removed. Returns how many were removed.
 */
export function pruneLogs(
  stateDir: string,
  profile: ProfileName,
  service: string,
  kind: 'kept' | 'embedded',
  keep = KEPT_LOG_RUNS,
): number {
  const dir = path.join(stateDir, 'logs');
  const pattern = new RegExp(`^${profile}-${service}-${kind}-(\\d+)\\.log$`);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  const old = names
    .map((name) => ({ name, pid: Number(pattern.exec(name)?.[1] ?? NaN) }))
    .filter((l) => Number.isInteger(l.pid) && l.pid !== process.pid)
    .map((l) => ({ ...l, mtime: fs.statSync(path.join(dir, l.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime || b.pid - a.pid);
  let removed = 0;
  for (const l of old.slice(Math.max(keep - 1, 0))) {
    if (pidAlive(l.pid)) continue;
    fs.rmSync(path.join(dir, l.name), { force: true });
    removed++;
  }
  return removed;
}

/** The log file of this process's run of a service; older runs' logs beyond the last few are removed first. */
export function logFileFor(stateDir: string, profile: ProfileName, service: string, kind: 'kept' | 'embedded'): string {
  pruneLogs(stateDir, profile, service, kind);
  return path.join(stateDir, 'logs', `${profile}-${service}-${kind}-${process.pid}.log`);
}
