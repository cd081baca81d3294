// The state file of services kept running by `services start`, one per profile, so that later
// commands use them instead of starting their own.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ProfileName } from '../config/schema.ts';

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

export function logFileFor(stateDir: string, profile: ProfileName, service: string, kind: 'kept' | 'embedded'): string {
  return path.join(stateDir, 'logs', `${profile}-${service}-${kind}-${process.pid}.log`);
}
