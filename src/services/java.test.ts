import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseJavaMajor } from './java.ts';

describe('parseJavaMajor', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_392"', 8],
    ['openjdk version "25-ea" 2025-09-16', 25],
    ['something else entirely', null],
  ])('%s → %s', (text, major) => {
    expect(parseJavaMajor(text)).toBe(major);
  });
});

describe('missing tools', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('says in one line that Java is missing and what to do', async () => {
    vi.stubEnv('JAVA_HOME', '/nonexistent/jdk');
    const { requireJava } = await import('./java.ts');
    expect(() => requireJava()).toThrow(/^Java not found \(\/nonexistent\/jdk\/bin\/java\): install a JDK 17/);
  });

  it('says in one line that Maven is missing and what to do', async () => {
    vi.stubEnv('MAVEN_CMD', '/nonexistent/mvn');
    const { requireMaven } = await import('./java.ts');
    expect(() => requireMaven()).toThrow(/^Maven not found \(\/nonexistent\/mvn\).*apt-get install maven/);
  });
});
