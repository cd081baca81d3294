// The services one command needs, each resolved the same way whichever it is:
//   external  — named by the configuration (its definition says where: CORENLP_URLS, NEO4J_URI…);
//   kept      — started earlier by `services start` (state file, live pid);
//   embedded  — started now on a free loopback port and stopped when the command ends,
//               on Ctrl-C, on SIGTERM, and (through the stdin watch) even when we are killed.
// While a command runs, a kept or embedded service that dies fails the command with its last log
// lines instead of leaving it to hang. What each service is comes from the registry.
import fs from 'node:fs';
import type { Config } from '../config/schema.ts';
import { UserError } from '../util/errors.ts';
import { requestStop } from '../util/interrupt.ts';
import { ServiceProcess, isKadapterService, startingDetached } from './process.ts';
import { serviceDefinition, type Address, type ServiceDefinition, type ServiceName } from './registry.ts';
import { logFileFor, readState } from './state.ts';

export type Origin = 'external' | 'kept' | 'embedded';

export interface Endpoint<N extends ServiceName> {
  origin: Origin;
  address: Address<N>;
  version: string | null;
  /** Our handle on the process, for kept and embedded services. */
  process?: ServiceProcess;
  coldStartMs?: number;
}

const openSessions = new Set<ServiceSession>();

function killAllNow(): void {
  for (const session of openSessions) session.killNow();
}

/** Stops every open session's embedded services, and detached ones still starting; for signal handlers. */
export async function closeAllSessions(): Promise<void> {
  await Promise.all([...openSessions].map((s) => s.close()));
  await Promise.all([...startingDetached].map((p) => p.stop()));
}

/**
 * On Ctrl-C or SIGTERM, stop the running stage at its next step boundary (every long loop awaits
 * `yieldToEventLoop`, which halts once a stop is requested), stop embedded services gracefully,
 * then exit 130 or 143. A second signal exits at once; the JVMs then still see their stdin close
 * and exit by themselves.
 */
export function stopServicesOnSignals(): void {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      requestStop(signal);
      process.stderr.write(`\nkadapter: ${signal}, stopping the stage and the services (exit ${code})\n`);
      process.once(signal, () => process.exit(code));
      void closeAllSessions().finally(() => process.exit(code));
    });
  }
}

export class ServiceSession {
  // Under each name, that service's endpoint only: openService is the one writer.
  private readonly endpoints = new Map<ServiceName, Endpoint<ServiceName>>();
  /** Rejects when a kept or embedded service dies while the session is open. */
  readonly failure: Promise<never>;
  private failWith!: (err: Error) => void;
  private closing = false;

  private constructor(private readonly config: Config) {
    this.failure = new Promise<never>((_, reject) => {
      this.failWith = reject;
    });
    this.failure.catch(() => undefined); // observed by run(); never an unhandled rejection
  }

  static async open(config: Config, need: ServiceName[]): Promise<ServiceSession> {
    const definitions = need.map((name) => serviceDefinition(name));
    const session = new ServiceSession(config);
    if (openSessions.size === 0) process.on('exit', killAllNow);
    openSessions.add(session);
    const results = await Promise.allSettled(definitions.map((def) => session.openService(def)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await session.close();
      throw failed.reason;
    }
    return session;
  }

  /** The endpoint of a service this session opened. */
  get<N extends ServiceName>(name: N): Endpoint<N> {
    const endpoint = this.endpoints.get(name);
    if (endpoint === undefined) throw new Error(`the session did not open ${name}`);
    return endpoint as Endpoint<N>;
  }

  /** Runs `work`, failing fast if a service dies meanwhile. */
  run<T>(work: (session: ServiceSession) => Promise<T>): Promise<T> {
    return Promise.race([work(this), this.failure]);
  }

  async close(): Promise<void> {
    if (!openSessions.has(this)) return;
    this.closing = true;
    await Promise.all(this.embedded().map(async (proc) => {
      await proc.stop();
      fs.rmSync(proc.logFile, { force: true });
    }));
    openSessions.delete(this);
    if (openSessions.size === 0) process.off('exit', killAllNow);
  }

  killNow(): void {
    this.closing = true;
    for (const proc of this.embedded()) proc.killNow();
  }

  private embedded(): ServiceProcess[] {
    return [...this.endpoints.values()].flatMap((e) => (e.origin === 'embedded' && e.process ? [e.process] : []));
  }

  private watch(name: string, proc: ServiceProcess): void {
    void proc.exited.then((info) => {
      if (this.closing) return;
      const how = info.signal ? `signal ${info.signal}` : info.code === null ? 'gone' : `exit code ${info.code}`;
      this.failWith(new UserError(`${name} stopped while the command ran (${how}); its last log lines:`, proc.logTail(20)));
    });
  }

  /** External if the configuration names one, else kept by `services start`, else embedded. */
  private async openService<N extends ServiceName>(def: ServiceDefinition<N>): Promise<void> {
    const endpoint = (await this.openExternal(def)) ?? (await this.openKept(def)) ?? (await this.startEmbedded(def));
    this.endpoints.set(def.name, endpoint);
  }

  private async openExternal<N extends ServiceName>(def: ServiceDefinition<N>): Promise<Endpoint<N> | null> {
    const { config } = this;
    const address = def.external.address(config);
    if (address === null) return null;
    const servers = def.servers?.(address) ?? [address];
    const versions = await Promise.all(servers.map((server) => def.probe(server, config).catch((err: Error) => {
      throw new UserError(`${def.external.failing(def.describe(server))}: ${err.message}`);
    })));
    return { origin: 'external', address, version: new Set(versions).size === 1 ? (versions[0] ?? null) : null };
  }

  private async openKept<N extends ServiceName>(def: ServiceDefinition<N>): Promise<Endpoint<N> | null> {
    const { config } = this;
    const kept = readState(config.paths.stateDir, config.profile)?.services[def.name];
    const fields = kept && def.kept.schema.safeParse(kept);
    if (!kept || !fields?.success || !isKadapterService(kept.pid)) return null;
    if (def.kept.serves && !def.kept.serves(fields.data, config)) return null;
    const address = def.kept.address(fields.data, config);
    await def.probe(address, config).catch((err: Error) => {
      throw new UserError(`the ${def.title} kept by "services start" (pid ${kept.pid}) does not answer: ${err.message}; run npm run services:stop`);
    });
    const proc = ServiceProcess.adopt(def.title, kept.pid, kept.logFile);
    this.watch(def.title, proc);
    return { origin: 'kept', address, version: kept.version, process: proc };
  }

  private async startEmbedded<N extends ServiceName>(def: ServiceDefinition<N>): Promise<Endpoint<N>> {
    const { config } = this;
    const started = await def.start(config, {
      detached: false,
      logFile: logFileFor(config.paths.stateDir, config.profile, def.name, 'embedded'),
    });
    this.watch(def.title, started.process);
    return {
      origin: 'embedded', address: started.address, version: started.version,
      process: started.process, coldStartMs: started.coldStartMs,
    };
  }
}

/** Opens the services, runs `work`, and always closes them. */
export async function withServices<T>(
  config: Config,
  need: ServiceName[],
  work: (session: ServiceSession) => Promise<T>,
): Promise<T> {
  const session = await ServiceSession.open(config, need);
  try {
    return await session.run(work);
  } finally {
    await session.close();
  }
}
