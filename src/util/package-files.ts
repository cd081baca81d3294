// Locating the files and versions of the npm and Debian packages that carry the offline sources
// (sentences in src/parsing, knowledge in src/facts).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { z } from 'zod';
import { readJsonFile } from './json-file.ts';

const require = createRequire(import.meta.url);

/** A package's folder, found along Node's lookup paths (its exports map may hide package.json). */
export function packageDir(name: string): string {
  for (const base of require.resolve.paths(name) ?? []) {
    const dir = path.join(base, name);
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  throw new Error(`package ${name} is not installed (run npm ci)`);
}

export function packageVersion(name: string): string {
  return readJsonFile(path.join(packageDir(name), 'package.json'), z.looseObject({ version: z.string().min(1) }))
    .version;
}

/** The installed version of a Debian package, for the manifest. */
export function debianPackageVersion(pkg: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    throw new Error(`Debian package ${pkg} is not installed: install it with \`npm run setup:sources\``);
  }
}

/** Numeric-aware file order, so chapter_2 comes before chapter_10. */
export const byNaturalName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
