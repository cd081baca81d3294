// The services one command needs, wherever they come from:
//   external  — CORENLP_URLS / NEO4J_URI from the config;
//   kept      — started earlier by `services start` (state file, live pid);
//   embedded  — started now on free loopback ports and stopped when the command ends,
//               on Ctrl-C, on SIGTERM, and (through the stdin watch) even when we are killed.
// While a command runs, a kept or embedded service that dies fails the command with its last log
// lines instead of leaving it to hang.
import fs from 'node:fs';
import type { Config } from '../config/schema.ts';
import { UserError } from '../util/errors.ts';
import { probeCoreNlp, startCoreNlp } from '../parsing/corenlp-service.ts';
import { externalConnection, keptConnection, neo4jDataDir, startNeo4j } from '../facts/neo4j-service.ts';
import { neo4jVersion, type Neo4jConnection } from '../facts/neo4j-client.ts';
import { ServiceProcess, isKadapterService, startingDetached } from './process.ts';
import { logFileFor, readState } from './state.ts';

export type ServiceName = 'corenlp' | 'neo4j';
export type Origin = 'external' | 'kept' | 'embedded';

interface Endpoint {
  origin: Origin;
  version: string | null;
  /** Our handle on the process, for kept and embedded services. */
  process?: ServiceProcess;
  coldStartMs?: number;
}
export interface CoreNlpEndpoint extends Endpoint {
  urls: string[];
}
export interface Neo4jEndpoint extends Endpoint {
  connection: Neo4jConnection;
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
 * On Ctrl-C or SIGTERM, stop embedded services gracefully, then exit 130 or 143. A second signal
 * exits at once; the JVMs then still see their stdin close and exit by themselves.
 */
export function stopServicesOnSignals(): void {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nkadapter: ${signal}, stopping services\n`);
      process.once(signal, () => process.exit(code));
      void closeAllSessions().finally(() => process.exit(code));
    });
  }
}

export class ServiceSession {
  corenlp?: CoreNlpEndpoint;
  neo4j?: Neo4jEndpoint;
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
    const session = new ServiceSession(config);
    if (openSessions.size === 0) process.on('exit', killAllNow);
    openSessions.add(session);
    const results = await Promise.allSettled([
      need.includes('corenlp') ? session.openCoreNlp() : Promise.resolve(),
      need.includes('neo4j') ? session.openNeo4j(neo4jDataDir(config)) : Promise.resolve(),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await session.close();
      throw failed.reason;
    }
    return session;
  }

  /** Runs `work`, failing fast if a service dies meanwhile. */
  run<T>(work: (session: ServiceSession) => Promise<T>): Promise<T> {
    return Promise.race([work(this), this.failure]);
  }

  async close(): Promise<void> {
    if (!openSessions.has(this)) return;
    this.closing = true;
    const embedded = [this.corenlp, this.neo4j].filter((e) => e?.origin === 'embedded' && e.process);
    await Promise.all(embedded.map(async (e) => {
      await e!.process!.stop();
      fs.rmSync(e!.process!.logFile, { force: true });
    }));
    openSessions.delete(this);
    if (openSessions.size === 0) process.off('exit', killAllNow);
  }

  killNow(): void {
    this.closing = true;
    for (const e of [this.corenlp, this.neo4j]) if (e?.origin === 'embedded') e.process?.killNow();
  }

  private watch(name: string, proc: ServiceProcess): void {
    void proc.exited.then((info) => {
      if (this.closing) return;
      const how = info.signal ? `signal ${info.signal}` : info.code === null ? 'gone' : `exit code ${info.code}`;
      this.failWith(new UserError(`${name} stopped while the command ran (${how}); its last log lines:`, proc.logTail(20)));
    });
  }

  private async openCoreNlp(): Promise<void> {
    const { config } = this;
    const external = config.services.corenlp.urls;
    if (external.length > 0) {
      await Promise.all(external.map((url) => probeCoreNlp(url, config).catch((err: Error) => {
        throw new UserError(`CoreNLP server ${url} (CORENLP_URLS) does not answer a parse: ${err.message}`);
      })));
      this.corenlp = { origin: 'external', urls: external, version: null };
      return;
    }
    const kept = readState(config.paths.stateDir, config.profile)?.corenlp;
    if (kept && isKadapterService(kept.pid)) {
      await probeCoreNlp(kept.url, config).catch((err: Error) => {
        throw new UserError(`the CoreNLP server kept by "services start" (pid ${kept.pid}) does not answer: ${err.message}; run npm run services:stop`);
      });
      const proc = ServiceProcess.adopt('CoreNLP server', kept.pid, kept.logFile);
      this.corenlp = { origin: 'kept', urls: [kept.url], version: kept.version, process: proc };
      this.watch('CoreNLP server', proc);
      return;
    }
    const started = await startCoreNlp(config, {
      detached: false,
      logFile: logFileFor(config.paths.stateDir, config.profile, 'corenlp', 'embedded'),
    });
    this.corenlp = {
      origin: 'embedded', urls: [started.url], version: started.version,
      process: started.process, coldStartMs: started.coldStartMs,
    };
    this.watch('CoreNLP server', started.process);
  }

  private async openNeo4j(dataDir: string): Promise<void> {
    const { config } = this;
    const external = externalConnection(config);
    if (external) {
      const connection = external;
      const version = await neo4jVersion(connection).catch((err: Error) => {
        throw new UserError(`Neo4j at ${connection.uri} (NEO4J_URI) is not reachable: ${err.message}`);
      });
      this.neo4j = { origin: 'external', connection, version };
      return;
    }
    const kept = readState(config.paths.stateDir, config.profile)?.neo4j;
    if (kept && kept.dataDir === dataDir && isKadapterService(kept.pid)) {
      const connection = keptConnection(kept);
      await neo4jVersion(connection).catch((err: Error) => {
        throw new UserError(`the Neo4j kept by "services start" (pid ${kept.pid}) does not answer: ${err.message}; run npm run services:stop`);
      });
      const proc = ServiceProcess.adopt('Neo4j', kept.pid, kept.logFile);
      this.neo4j = { origin: 'kept', connection, version: kept.version, process: proc };
      this.watch('Neo4j', proc);
      return;
    }
    const started = await startNeo4j(config, {
      detached: false,
      dataDir,
      logFile: logFileFor(config.paths.stateDir, config.profile, 'neo4j', 'embedded'),
    });
    this.neo4j = {
      origin: 'embedded', connection: started.connection, version: started.version,
      process: started.process, coldStartMs: started.coldStartMs,
    };
    this.watch('Neo4j', started.process);
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
