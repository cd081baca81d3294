// One writer per build folder and profile, through the command line: a second run stops at once
// naming the owner; a dead owner's lock is taken over; the lock goes on failure and on SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { processStartTime } from '../src/util/lock.ts';
import { repoRoot } from '../src/util/paths.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-cli-lock-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function env(name: string, more: Record<string, string> = {}): NodeJS.ProcessEnv {
  const root = path.join(scratch, name);
  return {
    ...process.env,
    CI: 'true',
    KADAPTER_BUILD_DIR: path.join(root, 'build'),
    KADAPTER_REPORTS_DIR: path.join(root, 'reports'),
    KADAPTER_STATE_DIR: path.join(root, 'state'),
    KADAPTER_NEO4J_HOME: path.join(root, 'neo4j'),
    ...more,
  };
}
const cli = path.join(repoRoot, 'bin/kadapter.js');
const kadapter = (args: string[], e: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: e });
const lockOf = (name: string, folder: 'build' | 'reports') => path.join(scratch, name, folder, 'smoke', '.lock');

it('a second build-data on the same build folder stops at once with one line naming the owner', async () => {
  const owner = spawn('sleep', ['60']);
  try {
    await new Promise((r) => owner.once('spawn', r));
    const lock = lockOf('busy', 'build');
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    const since = new Date().toISOString();
    const held = `${JSON.stringify({ pid: owner.pid, startTime: processStartTime(owner.pid!), command: 'kadapter build-data --profile smoke', since })}\n`;
    fs.writeFileSync(lock, held);
    const t0 = Date.now();
    const run = kadapter(['build-data', '--profile', 'smoke'], env('busy'));
    expect(run.status, run.stderr).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines.at(-1)).toBe(
      `kadapter: build folder ${path.dirname(lock)} is in use by pid ${owner.pid} (kadapter build-data --profile smoke), since ${since}; wait for it to finish or stop it`,
    );
    expect(lines.filter((l) => l.startsWith('kadapter:') && !l.includes('stage build-data'))).toHaveLength(1);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(fs.readFileSync(lock, 'utf8')).toBe(held); // the owner's lock is untouched
    // train writes the same folder; evaluate writes the reports folder, which is free.
    expect(kadapter(['train', '--profile', 'smoke'], env('busy')).stderr).toContain(`is in use by pid ${owner.pid}`);
  } finally {
    owner.kill('SIGKILL');
  }
});

it('evaluate and ablate lock their own folders: either runs beside the other', async () => {
  const owner = spawn('sleep', ['60']);
  try {
    await new Promise((r) => owner.once('spawn', r));
    const held = (dir: string, command: string) => {
      fs.mkdirSync(dir, { recursive: true });
      const since = new Date().toISOString();
      const owned = { pid: owner.pid, startTime: processStartTime(owner.pid!), command, since };
      fs.writeFileSync(path.join(dir, '.lock'), `${JSON.stringify(owned)}\n`);
    };
    const reports = path.dirname(lockOf('side', 'reports'));
    held(reports, 'kadapter evaluate --profile smoke');
    held(path.join(reports, 'ablation'), 'kadapter ablate --profile smoke');
    // Both folders held: each stage stops at its own lock, naming its folder.
    expect(kadapter(['evaluate', '--profile', 'smoke'], env('side')).stderr).toContain(
      `reports folder ${reports} is in use`,
    );
    const ablate = kadapter(['ablate', '--profile', 'smoke'], env('side'));
    expect(ablate.stderr).toContain(`ablation folder ${path.join(reports, 'ablation')} is in use`);
    // Only evaluate's held: ablate goes past the lock (and fails later, nothing being built).
    fs.rmSync(path.join(reports, 'ablation', '.lock'));
    const beside = kadapter(['ablate', '--profile', 'smoke'], env('side'));
    expect(beside.status).toBe(1);
    expect(beside.stderr).not.toContain('is in use');
  } finally {
    owner.kill('SIGKILL');
  }
});

it('takes over the lock of a dead run, says so, and releases it when the stage fails', () => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(dead.stdout);
  const lock = lockOf('stale', 'reports');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  fs.writeFileSync(
    lock,
    `${JSON.stringify({ pid, startTime: '1', command: 'kadapter evaluate', since: '2026-01-01T00:00:00.000Z' })}\n`,
  );
  // Nothing is built, so evaluate fails after taking the lock.
  const run = kadapter(['evaluate', '--profile', 'smoke'], env('stale'));
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(
    new RegExp(`taking over .*\\.lock from pid ${pid} \\(kadapter evaluate\\).*no longer running`),
  );
  expect(fs.existsSync(lock)).toBe(false);
});

it('releases the lock on SIGTERM (exit 143)', async () => {
  // A CoreNLP that accepts connections and never answers: the stage waits, holding the lock.
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const child = spawn(process.execPath, [cli, 'build-data', '--profile', 'smoke', '--part', 'dependency'], {
      env: env('signal', { CORENLP_URLS: `http://127.0.0.1:${port}` }),
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const lock = lockOf('signal', 'build');
    const t0 = Date.now();
    while (!fs.existsSync(lock) && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
    expect(JSON.parse(fs.readFileSync(lock, 'utf8')).pid).toBe(child.pid);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(fs.existsSync(lock)).toBe(false);
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});
