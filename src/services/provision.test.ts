// Jar provisioning without the network: a stand-in `mvn` (set through MAVEN_CMD) plays Maven
// Central being unreachable, or answering, on cue. The real fetch runs in CI before the tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ensureServiceJars, jarVersion } from './provision.ts';
import { UserError } from '../util/errors.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-provision-'));

function fakeMaven(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
  return file;
}

const OFFLINE = fakeMaven('mvn-offline', `
[ "$1" = "--version" ] && { echo "Apache Maven 3.8.7"; exit 0; }
echo "[ERROR] Failed to execute goal on project kadapter-services: Could not resolve dependencies"
echo "[ERROR] Could not transfer artifact edu.stanford.nlp:stanford-corenlp:pom:4.5.10 from/to central: Unknown host repo.maven.apache.org"
exit 1`);

const WORKING = fakeMaven('mvn-working', `
[ "$1" = "--version" ] && { echo "Apache Maven 3.8.7"; exit 0; }
for a in "$@"; do case "$a" in -DoutputDirectory=*) out="\${a#-DoutputDirectory=}";; esac; done
mkdir -p "$out" && echo jar > "$out/stanford-corenlp-4.5.10.jar"`);

afterEach(() => vi.unstubAllEnvs());

describe('ensureServiceJars', () => {
  it('names Maven Central as unreachable, with Maven’s own last lines', () => {
    vi.stubEnv('MAVEN_CMD', OFFLINE);
    const cache = path.join(dir, 'cache-offline');
    let error: unknown;
    try {
      ensureServiceJars('corenlp', cache);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/^Maven could not download the corenlp jars from Maven Central/);
    expect((error as UserError).details.at(-1)).toMatch(/Unknown host/);
    expect(fs.existsSync(path.join(cache, 'jars', 'corenlp'))).toBe(false);
  });

  it('fetches once, then answers from the cache without Maven', () => {
    const cache = path.join(dir, 'cache-working');
    vi.stubEnv('MAVEN_CMD', WORKING);
    const jars = ensureServiceJars('corenlp', cache);
    expect(jarVersion(jars, 'stanford-corenlp')).toBe('4.5.10');
    vi.stubEnv('MAVEN_CMD', path.join(dir, 'no-such-mvn'));
    expect(ensureServiceJars('corenlp', cache)).toBe(jars);
  });

  it('refetches a folder that an interrupted fetch left incomplete', () => {
    const cache = path.join(dir, 'cache-partial');
    fs.mkdirSync(path.join(cache, 'jars', 'corenlp'), { recursive: true });
    vi.stubEnv('MAVEN_CMD', path.join(dir, 'no-such-mvn'));
    expect(() => ensureServiceJars('corenlp', cache)).toThrow(/^Maven not found/);
  });
});
