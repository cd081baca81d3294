// Stage manifests: what a stage read (with hashes), its parameters, what it wrote, what it
// skipped and why, how long it took and with which tools. A stage whose inputs hash is unchanged
// and whose outputs are intact is skipped.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { StageManifest } from '../data/files.ts';
import { readJsonFileIfExists } from './json-file.ts';
import { writeFileAtomic } from './jsonl.ts';

export type Manifest = StageManifest;

/** The fields every stage manifest shares; the stage supplies the rest. */
export function completeManifest(
  stage: string,
  profile: string,
  startedAt: Date,
  fields: Omit<Manifest, 'stage' | 'profile' | 'complete' | 'startedAt' | 'finishedAt' | 'tools'> & {
    tools: Record<string, unknown>;
  },
): Manifest {
  return {
    stage,
    profile,
    complete: true,
    ...fields,
    // Data building runs no model; the backend field is there so every manifest has one.
    tools: { node: process.version, backend: 'none (data building runs no model)', ...fields.tools },
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  };
}

export function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

export function manifestPath(dir: string): string {
  return path.join(dir, 'manifest.json');
}

/** The stage's manifest, null when there is none yet; one that is there but invalid stops with its file and field named. */
export function readManifest(dir: string): Manifest | null {
  return readJsonFileIfExists(manifestPath(dir), StageManifest);
}

export function writeManifest(dir: string, manifest: Manifest): void {
  writeFileAtomic(manifestPath(dir), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Complete, same inputs, and every output still there with its recorded size. */
export function isUpToDate(dir: string, inputsHash: string): boolean {
  const m = readManifest(dir);
  if (!m || !m.complete || m.inputsHash !== inputsHash) return false;
  return m.outputs.every((o) => {
    try {
      return fs.statSync(path.join(dir, o.file)).size === o.bytes;
    } catch {
      return false;
    }
  });
}
