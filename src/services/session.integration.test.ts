// Lifecycle of real service JVMs: nothing outlives the command that started it, and a service
// that dies mid-command fails the command with its own last words.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../util/paths.ts';
import { UserError } from '../util/errors.ts';
import { ServiceSession, withServices } from './session.ts';
import { isKadapterService } from './process.ts';
import { testServiceConfig, testServiceEnv } from '../../test/service-config.ts';

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    if (!isKadapterService(pid)) return true;
    await sleep(200);
  }
  return !isKadapterService(pid);
}

/** Starts test/fixtures/hold-services.ts and resolves with its child and the Neo4j pid. */
function holdServices(): Promise<{ child: ReturnType<typeof spawn>; jvmPid: number; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/fixtures/hold-services.ts')], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) resolve({ child, jvmPid: Number(m[1]), exit });
    });
    void exit.then((code) => reject(new Error(`hold-services exited early (${code}): ${out}`)));
  });
}

describe('service lifecycle (real JVMs)', () => {
  it('fails a running command with the last log lines when its service dies', async () => {
    const config = testServiceConfig('death');
    const error = await withServices(config, ['neo4j'], async (session) => {
      const pid = session.get('neo4j').process!.pid;
      process.kill(pid, 'SIGKILL');
      await new Promise(() => undefined); // a command that would otherwise wait forever
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/^Neo4j stopped while the command ran \(signal SIGKILL\)/);
    expect((error as UserError).details.join('\n')).toContain('kadapter-neo4j ready');
  });

  it('stops embedded services when the command closes its session', async () => {
    const session = await ServiceSession.open(testServiceConfig('close'), ['neo4j']);
    const pid = session.get('neo4j').process!.pid;
    expect(isKadapterService(pid)).toBe(true);
    await session.close();
    expect(isKadapterService(pid)).toBe(false);
  });

  it('stops embedded services on SIGINT and exits 130', async () => {
    const { child, jvmPid, exit } = await holdServices();
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(isKadapterService(jvmPid)).toBe(false);
  });

  it('leaves no orphan JVM when the command is killed with SIGKILL', async () => {
    const { child, jvmPid, exit } = await holdServices();
    child.kill('SIGKILL');
    await exit;
    expect(await gone(jvmPid, 60_000)).toBe(true);
  });
});

describe('services start / status / stop (CLI)', () => {
  it('keeps services across commands and leaves no java process behind', () => {
    const env = { ...process.env, ...testServiceEnv('cli'), CORENLP_URLS: '', NEO4J_URI: '' };
    const kadapter = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(repoRoot, 'bin/kadapter.js'), 'services', ...args, '--profile', 'smoke'], {
        env,
        encoding: 'utf8',
      });

    const start = kadapter('start');
    expect(start.status, start.stderr).toBe(0);
    const status = kadapter('status');
    expect(status.status, status.stderr).toBe(0);
    const rows = status.stdout.split('\n').filter((l) => /^(corenlp|neo4j)\s/.test(l));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(/kept \(services start\).*ok \(\d+ ms\)/);
    expect(status.stdout).toMatch(/corenlp .*4\.5\.10/);
    expect(status.stdout).toMatch(/neo4j .*5\.26\.\d+/);
    const pids = rows.map((r) => Number(/\s(\d+)\s+\d+\s+[\d.]+\s+ok/.exec(r)![1]));

    const again = kadapter('start');
    expect(again.stdout).toContain('already running');

    const stop = kadapter('stop');
    expect(stop.status, stop.stderr).toBe(0);
    for (const pid of pids) expect(isKadapterService(pid)).toBe(false);
    expect(kadapter('status').stdout).toContain('no services running');
  });
});

describe('the embedded Neo4j home (real JVM)', () => {
  it('is readable by its owner only, with its password, even where an older run left it open', async () => {
    const config = testServiceConfig('home-mode');
    const home = config.services.neo4j.home!;
    fs.mkdirSync(home, { recursive: true, mode: 0o755 });
    fs.chmodSync(home, 0o755);
    await withServices(config, ['neo4j'], async () => {
      expect(fs.statSync(home).mode & 0o777).toBe(0o700);
      expect(fs.statSync(`${home}.password`).mode & 0o777).toBe(0o600);
      // The store Neo4j wrote inside is out of others' reach through its home.
      expect(fs.readdirSync(home).length).toBeGreaterThan(0);
    });
  });
});
