// Puts the service jars and kadapter's small Java launchers into the cache folder, once.
// Jars come from Maven Central through services/pom.xml; a marker holding the pom's hash says a
// folder is complete, so an interrupted fetch is redone and a changed pin refetches.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.ts';
import { repoRoot } from '../util/paths.ts';
import { requireJava, requireMaven } from './java.ts';
import { lastLines } from './process.ts';

const POM = path.join(repoRoot, 'services', 'pom.xml');
const JAVA_SOURCES = path.join(repoRoot, 'services', 'java');
const MARKER = '.kadapter-complete';

function sha256(...parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

function isComplete(dir: string, stamp: string): boolean {
  try {
    return fs.readFileSync(path.join(dir, MARKER), 'utf8') === stamp;
  } catch {
    return false;
  }
}

/**
 * Moves a finished temp folder into place. When another process finished first, its folder may
 * already be in use by a running JVM: keep it and drop ours.
 */
function publish(tmp: string, dir: string, stamp: string): string {
  if (isComplete(dir, stamp)) {
    fs.rmSync(tmp, { recursive: true, force: true });
    return dir;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.renameSync(tmp, dir);
  return dir;
}

const OFFLINE_SIGNS = /Could not transfer|UnknownHost|Unknown host|Connection refused|Network is unreachable|Connect timed out|Could not resolve dependencies/i;

/** The folder holding every jar a service needs (its profile in services/pom.xml), fetched by Maven when missing. */
export function ensureServiceJars(service: string, cacheDir: string): string {
  const dir = path.join(cacheDir, 'jars', service);
  const stamp = sha256(fs.readFileSync(POM), service);
  if (isComplete(dir, stamp)) return dir;

  const mvn = requireMaven();
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`kadapter: fetching ${service} jars from Maven Central into ${dir} (once)\n`);
  const run = spawnSync(
    mvn,
    ['-B', '-q', '-f', POM, '-P', service, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const output = `${run.stdout ?? ''}\n${run.stderr ?? ''}`;
    const why = OFFLINE_SIGNS.test(output)
      ? `Maven could not download the ${service} jars from Maven Central (no network to the registry?)`
      : `Maven failed to fetch the ${service} jars (exit ${run.status ?? run.signal})`;
    throw new UserError(`${why}; see services/pom.xml`, lastLines(output, 15));
  }
  fs.writeFileSync(path.join(tmp, MARKER), stamp);
  return publish(tmp, dir, stamp);
}

/** Version of a service from its main jar's file name, e.g. "4.5.10". */
export function jarVersion(jarDir: string, artifact: string): string | null {
  const pattern = new RegExp(`^${artifact}-(\\d+\\.\\d+\\.\\d+)\\.jar$`);
  for (const name of fs.readdirSync(jarDir)) {
    const m = pattern.exec(name);
    if (m) return m[1]!;
  }
  return null;
}

/**
 * Compiled classes of one launcher group (services/java/<group>), cached by a hash of the sources.
 * `common` holds the supervision wrapper and the loopback HTTP provider; a service's own group its
 * launcher, compiled against its jars (`classpath`).
 */
export function ensureLauncherClasses(group: string, cacheDir: string, classpath: string[] = []): string {
  const srcDir = path.join(JAVA_SOURCES, group);
  const sources = (fs.readdirSync(srcDir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.java'))
    .sort()
    .map((f) => path.join(srcDir, f));
  const stamp = sha256(...sources.flatMap((f) => [f, fs.readFileSync(f)]));
  const dir = path.join(cacheDir, 'classes', `${group}-${stamp.slice(0, 16)}`);
  if (isComplete(dir, stamp)) return dir;

  const { javac } = requireJava();
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const args = ['-d', tmp, '--release', '17'];
  if (classpath.length > 0) args.push('-cp', classpath.join(path.delimiter));
  const run = spawnSync(javac, [...args, ...sources], { encoding: 'utf8' });
  if (run.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new UserError(`javac failed on services/java/${group}`, lastLines(`${run.stdout}\n${run.stderr}`, 15));
  }
  fs.writeFileSync(path.join(tmp, MARKER), stamp);
  return publish(tmp, dir, stamp);
}
