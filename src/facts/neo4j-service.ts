// The embedded Neo4j: community edition from the cache, started by services/java/neo4j's
// launcher with only Bolt, on loopback, with a generated password kept beside its data folder.
// Registered as the service "neo4j".
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { ensureLauncherClasses, ensureServiceJars, jarVersion } from '../services/provision.ts';
import { requireJava } from '../services/java.ts';
import { launchUntilHealthy, type Launched } from '../services/launch.ts';
import { LOOPBACK } from '../services/ports.ts';
import { registerService, type ServiceDefinition } from '../services/registry.ts';
import { neo4jVersion, type Neo4jConnection } from './neo4j-client.ts';

/** What the state file keeps of a kept server: never its password, which stays beside its data. */
const KeptNeo4j = z.object({ uri: z.string(), user: z.string(), dataDir: z.string() });
type KeptNeo4j = z.infer<typeof KeptNeo4j>;

declare module '../services/registry.ts' {
  interface ServiceTypes {
    neo4j: { address: Neo4jConnection; kept: KeptNeo4j };
  }
}

/** What services/java/neo4j's launcher prints once the database accepts our password. */
const READY_LINE = 'kadapter-neo4j ready';

export interface Neo4jStartOptions {
  detached: boolean;
  logFile: string;
  /** Neo4j home: its databases and transaction logs live here and survive restarts. */
  dataDir: string;
  /** Fixed Bolt port; default: a free one. */
  port?: number;
}

export interface StartedNeo4j extends Launched {
  connection: Neo4jConnection;
  version: string | null;
}

/** The embedded server's data folder for a profile. */
export function neo4jDataDir(config: Config): string {
  return config.services.neo4j.home ?? path.join(config.paths.cacheDir, 'neo4j', config.profile);
}

/** The embedded server's home, made (or, when an older run left it open, closed) readable by its owner only. */
export function secureNeo4jHome(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if ((fs.statSync(dataDir).mode & 0o777) !== 0o700) fs.chmodSync(dataDir, 0o700);
}

/** The password of an embedded data folder, made on first use and readable by its owner only. */
export function embeddedPassword(dataDir: string): string {
  const file = `${dataDir}.password`;
  if (fs.existsSync(file)) {
    // A password file made by an older version, or copied with a looser mode, is closed again.
    if ((fs.statSync(file).mode & 0o777) !== 0o600) fs.chmodSync(file, 0o600);
  } else {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      fs.writeFileSync(file, randomBytes(18).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process made it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return fs.readFileSync(file, 'utf8').trim();
}

/** The connection of an external server (NEO4J_URI), or null when none is configured. */
export function externalConnection(config: Config): Neo4jConnection | null {
  const n4 = config.services.neo4j;
  return n4.uri === null ? null : { uri: n4.uri, user: n4.user, password: n4.password ?? '' };
}

/** The connection of an embedded server kept by `services start`. */
export function keptConnection(kept: KeptNeo4j): Neo4jConnection {
  return { uri: kept.uri, user: kept.user, password: embeddedPassword(kept.dataDir) };
}

/** The server's jars and kadapter's launcher classes in the cache, fetched and compiled once. */
function provisionNeo4j(cacheDir: string): { jars: string; classpath: string } {
  const jars = ensureServiceJars('neo4j', cacheDir);
  const jarGlob = path.join(jars, '*');
  const common = ensureLauncherClasses('common', cacheDir);
  const launcher = ensureLauncherClasses('neo4j', cacheDir, [jarGlob]);
  return { jars, classpath: [common, launcher, jarGlob].join(path.delimiter) };
}

export async function startNeo4j(config: Config, opts: Neo4jStartOptions): Promise<StartedNeo4j> {
  const { java } = requireJava();
  const n4 = config.services.neo4j;
  const { jars, classpath } = provisionNeo4j(config.paths.cacheDir);
  secureNeo4jHome(opts.dataDir);
  const password = embeddedPassword(opts.dataDir);
  const connectionAt = (port: number): Neo4jConnection => ({
    uri: `bolt://${LOOPBACK}:${port}`,
    user: 'neo4j',
    password,
  });

  const launched = await launchUntilHealthy({
    name: 'Neo4j',
    timeoutMs: config.services.startTimeoutS * 1000,
    port: opts.port,
    makeSpec: (port) => ({
      name: 'neo4j',
      command: java,
      logFile: opts.logFile,
      detached: opts.detached,
      // The password travels in the environment, never on the command line where ps shows it.
      env: {
        KADAPTER_NEO4J_PASSWORD: password,
        KADAPTER_NEO4J_BIND: LOOPBACK,
        KADAPTER_NEO4J_PAGECACHE_MB: String(n4.pageCacheMb),
      },
      args: [
        `-Xmx${n4.heapMb}m`,
        '-cp',
        classpath,
        `-Dkadapter.watchParent=${!opts.detached}`,
        'kadapter.ServiceMain',
        'kadapter.Neo4jLauncher',
        opts.dataDir,
        String(port),
      ],
    }),
    probe: async (port, proc) => {
      // Bolt may accept connections before the launcher has set the password; knocking with it
      // then counts as failed logins, which Neo4j answers with a lock-out. Wait for its word.
      if (!proc.logTail(200).some((line) => line.startsWith(READY_LINE))) throw new Error('launcher not ready yet');
      await neo4jVersion(connectionAt(port));
    },
  });
  return { ...launched, connection: connectionAt(launched.port), version: jarVersion(jars, 'neo4j') };
}

export const neo4jService: ServiceDefinition<'neo4j'> = {
  name: 'neo4j',
  title: 'Neo4j',
  external: {
    variable: 'NEO4J_URI',
    address: externalConnection,
    failing: (uri) => `Neo4j at ${uri} (NEO4J_URI) is not reachable`,
  },
  describe: (connection) => connection.uri,
  probe: (connection) => neo4jVersion(connection),
  provision: (config) => provisionNeo4j(config.paths.cacheDir).jars,
  async start(config, opts) {
    const dataDir = neo4jDataDir(config);
    const started = await startNeo4j(config, { ...opts, dataDir });
    const { uri, user } = started.connection;
    return { ...started, address: started.connection, keep: { uri, user, dataDir } };
  },
  kept: {
    schema: KeptNeo4j,
    address: keptConnection,
    serves: (kept, config) => kept.dataDir === neo4jDataDir(config),
  },
};

registerService(neo4jService);
