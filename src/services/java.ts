// Java and Maven on this machine: found, version-checked, or a one-line error saying what to do.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { UserError } from '../util/errors.ts';
import { registeredServices } from './registry.ts';

const MIN_JAVA = 17;

function jdkTool(name: 'java' | 'javac'): string {
  const home = process.env.JAVA_HOME;
  return home ? path.join(home, 'bin', name) : name;
}

/** Major version from `java -version` output ("17.0.15", "1.8.0_392", "21"). */
export function parseJavaMajor(versionOutput: string): number | null {
  const m = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!m) return null;
  const first = Number(m[1]);
  return first === 1 && m[2] ? Number(m[2]) : first;
}

/** The other way out: the variables that name external servers ("CORENLP_URLS and NEO4J_URI"). */
function orExternalServers(): string[] {
  const variables = registeredServices().map((def) => def.external.variable);
  return variables.length === 0 ? [] : [`or point ${variables.join(' and ')} at running servers`];
}

const installJdk = () =>
  ['install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME', ...orExternalServers()].join(', ');

export interface JavaTools {
  java: string;
  javac: string;
  major: number;
}

let cached: JavaTools | undefined;

export function requireJava(): JavaTools {
  if (cached) return cached;
  const java = jdkTool('java');
  const run = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (run.error) throw new UserError(`Java not found (${java}): ${installJdk()}`);
  const major = parseJavaMajor(`${run.stderr}${run.stdout}`);
  if (major === null || major < MIN_JAVA) {
    throw new UserError(`Java ${major ?? '?'} found at ${java}, but ${MIN_JAVA}+ is needed: ${installJdk()}`);
  }
  const javac = jdkTool('javac');
  if (spawnSync(javac, ['-version'], { encoding: 'utf8' }).error) {
    throw new UserError(`javac not found (${javac}): a JRE is not enough, ${installJdk()}`);
  }
  cached = { java, javac, major };
  return cached;
}

export function requireMaven(): string {
  const mvn = process.env.MAVEN_CMD ?? 'mvn';
  if (spawnSync(mvn, ['--version'], { encoding: 'utf8' }).error) {
    throw new UserError(
      `Maven not found (${mvn}): it fetches the service jars from Maven Central once; ` +
        ['install it (Debian: apt-get install maven)', ...orExternalServers()].join(' '),
    );
  }
  return mvn;
}
