// Starts a service JVM on a free loopback port and waits until it answers a real request.
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../util/errors.ts';
import { freePort, PORT_IN_USE } from './ports.ts';
import { ServiceProcess, type SpawnSpec } from './process.ts';

export interface LaunchOptions {
  name: string;
  makeSpec(port: number): SpawnSpec;
  /** Resolves once the service does real work on `port`; throws while it cannot yet. */
  probe(port: number, proc: ServiceProcess): Promise<void>;
  timeoutMs: number;
  /** Fresh ports to try when the chosen one was taken in the meantime. */
  attempts?: number;
  /** A fixed port instead of a free one (restarting a server where its clients expect it). */
  port?: number;
}

export interface Launched {
  process: ServiceProcess;
  port: number;
  /** From spawn to the first successful probe. */
  coldStartMs: number;
}

const PROBE_INTERVAL_MS = 500;

export async function launchUntilHealthy(opts: LaunchOptions): Promise<Launched> {
  const attempts = opts.port === undefined ? (opts.attempts ?? 3) : 1;
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const started = performance.now();
    const proc = ServiceProcess.spawn(opts.makeSpec(port));
    let lastProbeError: unknown;
    while (performance.now() - started < opts.timeoutMs) {
      if (!proc.running) {
        await proc.exited;
        const tail = proc.logTail(25);
        if (attempt < attempts && tail.some((line) => PORT_IN_USE.test(line))) break;
        throw new UserError(`${opts.name} exited during start-up (log: ${proc.logFile})`, tail);
      }
      try {
        await opts.probe(port, proc);
        return { process: proc, port, coldStartMs: performance.now() - started };
      } catch (err) {
        lastProbeError = err;
        await sleep(PROBE_INTERVAL_MS);
      }
    }
    if (proc.running) {
      await proc.stop();
      const why = lastProbeError instanceof Error ? `: ${lastProbeError.message}` : '';
      throw new UserError(
        `${opts.name} did not become healthy within ${Math.round(opts.timeoutMs / 1000)} s${why} (log: ${proc.logFile})`,
        proc.logTail(25),
      );
    }
    const tail = proc.logTail(25);
    if (attempt >= attempts || !tail.some((line) => PORT_IN_USE.test(line))) {
      throw new UserError(`${opts.name} exited during start-up (log: ${proc.logFile})`, tail);
    }
    // Port taken between our check and the JVM's bind: try another one.
  }
}
