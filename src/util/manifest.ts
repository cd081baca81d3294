// Stage manifests: what a stage read (with hashes), its parameters, what it wrote, what it
// skipped and why, how long it took and with which tools. A stage whose inputs hash is unchanged
// and whose outputs are intact is skipped.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from './errors.ts';
import { readJsonFileIfExists } from './json-file.ts';
import { WrittenFile, writeFileAtomic } from './jsonl.ts';

/** <stage folder>/manifest.json: what a stage read, its parameters, what it wrote and skipped, timings, tools. */
export const StageManifest = z.strictObject({
  stage: z.string().min(1),
  profile: z.string().min(1),
  complete: z.boolean(),
  inputsHash: z.string().min(1),
  inputs: z.record(z.string(), z.unknown()),
  parameters: z.record(z.string(), z.unknown()),
  counts: z.record(z.string(), z.unknown()),
  skipped: z.record(z.string(), z.unknown()),
  outputs: z.array(WrittenFile),
  timings: z.record(z.string(), z.number()),
  tools: z.record(z.string(), z.unknown()),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type StageManifest = z.infer<typeof StageManifest>;

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

/** A file as it is now: size, sha256 and newline count (`file` relative to `dir`). */
export function describeFile(dir: string, file: string): WrittenFile {
  return describeBytes(file, fs.readFileSync(path.join(dir, file)));
}

/** A file's record from the bytes written to it: its lines (newlines), size and sha256. */
export function describeBytes(file: string, bytes: Buffer): WrittenFile {
  let lines = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines++;
  return { file, lines, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * How a recorded output differs from the file now there (size, then sha256), null when it matches.
 * `actual` receives the file as it is, when it is there.
 */
export function outputMismatch(dir: string, recorded: WrittenFile, actual?: (f: WrittenFile) => void): string | null {
  let now: WrittenFile;
  try {
    const size = fs.statSync(path.join(dir, recorded.file)).size;
    if (size !== recorded.bytes) return `${recorded.file} has ${size} bytes, ${recorded.bytes} recorded`;
    now = describeFile(dir, recorded.file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return `${recorded.file} is missing`;
    throw e;
  }
  actual?.(now);
  if (now.sha256 !== recorded.sha256)
    return `${recorded.file} has sha256 ${now.sha256.slice(0, 12)}…, ${recorded.sha256.slice(0, 12)}… recorded`;
  return null;
}

/**
 * Complete, same inputs, and every output there with its recorded size and sha256. When the
 * inputs are the same but an output is not as recorded, `log` is told which.
 */
export function isUpToDate(dir: string, inputsHash: string, log?: (line: string) => void): boolean {
  const m = readManifest(dir);
  if (!m || !m.complete || m.inputsHash !== inputsHash) return false;
  for (const o of m.outputs) {
    const mismatch = outputMismatch(dir, o);
    if (mismatch !== null) {
      log?.(`${manifestPath(dir)}: ${mismatch}; the outputs are not as built`);
      return false;
    }
  }
  return true;
}

/**
 * The parsed sentences (the dependency part's folder) that a later part of build-data reads: complete
 * and with every output as built, else a one-line error that says to build that part. Returns its
 * manifest and a hash of the sentences as built (their inputs and the files' sha256).
 */
export function requireParsedSentences(
  dir: string,
  what: string,
  log: (line: string) => void,
): { manifest: Manifest; sentencesHash: string } {
  const where = path.relative(process.cwd(), dir);
  const manifest = readManifest(dir);
  if (!manifest?.complete)
    throw new UserError(`${what} need the parsed sentences of ${where}: run build-data --part dependency first`);
  if (!isUpToDate(dir, manifest.inputsHash, log)) {
    throw new UserError(
      `the parsed sentences of ${where} do not match their manifest: run build-data --part dependency again`,
    );
  }
  const sentencesHash = hashOf({ inputsHash: manifest.inputsHash, outputs: manifest.outputs.map((o) => o.sha256) });
  return { manifest, sentencesHash };
}
