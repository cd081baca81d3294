// Fault injection for the start-up logic: a port taken between choice and bind, a service that
// dies while starting, one that never becomes healthy. A small Node program stands in for the
// JVM here because a real server cannot be made to fail on cue; the real services are exercised
// in the integration tests.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { launchUntilHealthy, type LaunchOptions } from './launch.ts';
import { pidAlive } from '../util/pid.ts';
import { UserError } from '../util/errors.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-launch-'));
const servers: net.Server[] = [];
const pids: number[] = [];

afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  for (const pid of pids.splice(0)) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
});

/** A tiny TCP "service": binds the port it is given, or prints the bind error and exits 1. */
const FAKE_SERVICE = `
const net = require('node:net');
const [port, mode] = process.argv.slice(1);
if (mode === 'die') { console.error('fatal: model file is corrupt'); process.exit(3); }
const server = net.createServer((c) => c.end('ok'));
server.on('error', (e) => { console.error('java.net.BindException: Address already in use (' + e.code + ')'); process.exit(1); });
server.listen(Number(port), '127.0.0.1');
process.stdin.resume();
`;

function options(mode: 'serve' | 'die' | 'mute', extra: Partial<LaunchOptions> = {}): LaunchOptions {
  return {
    name: 'fake service',
    timeoutMs: 10_000,
    makeSpec: (port) => ({
      name: 'fake',
      command: process.execPath,
      args: ['-e', FAKE_SERVICE, String(port), mode],
      logFile: path.join(dir, `fake-${mode}.log`),
      detached: false,
    }),
    probe: (port) =>
      new Promise<void>((resolve, reject) => {
        if (mode === 'mute') return reject(new Error('no answer'));
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.end();
          resolve();
        });
        socket.on('error', reject);
      }),
    ...extra,
  };
}

describe('launchUntilHealthy', () => {
  it('starts a service and reports its port and cold start time', async () => {
    const launched = await launchUntilHealthy(options('serve'));
    pids.push(launched.process.pid);
    expect(launched.port).toBeGreaterThan(0);
    expect(launched.coldStartMs).toBeGreaterThan(0);
    await launched.process.stop();
    expect(pidAlive(launched.process.pid)).toBe(false);
  });

  it('moves to another port when the chosen one is taken', async () => {
    const blocker = net.createServer();
    servers.push(blocker);
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as net.AddressInfo).port;
    const ports: number[] = [];
    const base = options('serve');
    const launched = await launchUntilHealthy({
      ...base,
      // The first spawn is forced onto the taken port, as if another program won the race.
      makeSpec: (port) => {
        ports.push(port);
        return base.makeSpec(ports.length === 1 ? taken : port);
      },
    });
    pids.push(launched.process.pid);
    expect(ports).toHaveLength(2);
    expect(launched.port).toBe(ports[1]);
    await launched.process.stop();
  });

  it('fails with the last log lines when the service dies while starting', async () => {
    const error = await launchUntilHealthy(options('die')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/fake service exited during start-up/);
    expect((error as UserError).details).toContain('fatal: model file is corrupt');
  });

  it('gives up after the timeout and leaves no process behind', async () => {
    let pid = 0;
    const base = options('mute');
    const error = await launchUntilHealthy({
      ...base,
      timeoutMs: 1500,
      makeSpec: (port) => base.makeSpec(port),
      probe: async (port, proc) => {
        pid = proc.pid;
        return base.probe(port, proc);
      },
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/did not become healthy within 2 s: no answer/);
    expect(pidAlive(pid)).toBe(false);
  });
});
