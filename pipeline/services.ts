// `kadapter services fetch|start|status|stop`: services that outlive one command, for a
// session of several commands (the stages find them through the state file).
import type { Config } from '../src/config/schema.ts';
import { UserError } from '../src/util/errors.ts';
import { startCoreNlp, probeCoreNlp } from '../src/parsing/corenlp-service.ts';
import { externalConnection, keptConnection, neo4jDataDir, startNeo4j } from '../src/facts/neo4j-service.ts';
import { neo4jVersion } from '../src/facts/neo4j-client.ts';
import { ensureLauncherClasses, ensureServiceJars } from '../src/services/provision.ts';
import { requireJava } from '../src/services/java.ts';
import { ServiceProcess, isKadapterService, residentMiB, startingDetached } from '../src/services/process.ts';
import { readState, writeState, removeState, stateFile, type KeptServices } from '../src/services/state.ts';
import path from 'node:path';
import { formatTable } from '../src/util/table.ts';

const log = (line: string) => process.stdout.write(`${line}\n`);

export function fetchServices(config: Config): void {
  requireJava();
  const { cacheDir } = config.paths;
  const corenlp = ensureServiceJars('corenlp', cacheDir);
  const neo4j = ensureServiceJars('neo4j', cacheDir);
  ensureLauncherClasses('common', cacheDir);
  ensureLauncherClasses('neo4j', cacheDir, [path.join(neo4j, '*')]);
  log(`CoreNLP jars: ${corenlp}`);
  log(`Neo4j jars:   ${neo4j}`);
}

function liveState(config: Config): KeptServices | null {
  const state = readState(config.paths.stateDir, config.profile);
  if (!state) return null;
  const alive = [state.corenlp, state.neo4j].some((s) => s && isKadapterService(s.pid));
  return alive ? state : null;
}

export async function startServices(config: Config): Promise<void> {
  const { stateDir } = config.paths;
  const { profile } = config;
  if (liveState(config)) {
    log(`services of profile "${profile}" are already running (${stateFile(stateDir, profile)})`);
    await printStatus(config);
    return;
  }
  const logFile = (service: string) => path.join(stateDir, 'logs', `${profile}-${service}.log`);
  const dataDir = neo4jDataDir(config);
  const results = await Promise.allSettled([
    startCoreNlp(config, { detached: true, logFile: logFile('corenlp') }),
    startNeo4j(config, { detached: true, dataDir, logFile: logFile('neo4j') }),
  ]);
  const [cn, n4] = results;
  if (cn.status === 'rejected' || n4.status === 'rejected') {
    for (const r of results) if (r.status === 'fulfilled') await r.value.process.stop();
    throw (cn.status === 'rejected' ? cn.reason : (n4 as PromiseRejectedResult).reason) as Error;
  }
  const now = new Date().toISOString();
  writeState(stateDir, profile, {
    profile,
    corenlp: {
      pid: cn.value.process.pid, logFile: cn.value.process.logFile, version: cn.value.version,
      coldStartMs: Math.round(cn.value.coldStartMs), startedAt: now, url: cn.value.url,
    },
    neo4j: {
      pid: n4.value.process.pid, logFile: n4.value.process.logFile, version: n4.value.version,
      coldStartMs: Math.round(n4.value.coldStartMs), startedAt: now,
      uri: n4.value.connection.uri, user: n4.value.connection.user, dataDir,
    },
  });
  // Recorded in the state file now: from here on `services stop` finds them.
  startingDetached.delete(cn.value.process);
  startingDetached.delete(n4.value.process);
  log(`started services of profile "${profile}"; stop them with: npm run services:stop -- --profile ${profile}`);
  await printStatus(config);
}

type StatusRow = {
  service: string;
  origin: string;
  version: string;
  endpoint: string;
  pid: string;
  rssMiB: string;
  coldStartS: string;
  health: string;
};

async function timedHealth(check: () => Promise<unknown>): Promise<string> {
  const t0 = performance.now();
  try {
    await check();
    return `ok (${Math.round(performance.now() - t0)} ms)`;
  } catch (err) {
    return `FAILING: ${(err as Error).message.split('\n')[0]}`;
  }
}

/** Prints one row per service; returns whether every listed service is healthy. */
export async function printStatus(config: Config): Promise<boolean> {
  const rows: StatusRow[] = [];
  const cn = config.services.corenlp;
  for (const url of cn.urls) {
    rows.push({
      service: 'corenlp', origin: 'external (CORENLP_URLS)', version: '-', endpoint: url, pid: '-', rssMiB: '-',
      coldStartS: '-', health: await timedHealth(() => probeCoreNlp(url, config)),
    });
  }
  const external = externalConnection(config);
  if (external) {
    let version = '-';
    const health = await timedHealth(async () => { version = await neo4jVersion(external); });
    rows.push({ service: 'neo4j', origin: 'external (NEO4J_URI)', version, endpoint: external.uri, pid: '-', rssMiB: '-', coldStartS: '-', health });
  }
  const state = readState(config.paths.stateDir, config.profile);
  const kept = (pid: number) => ({
    pid: String(pid),
    rssMiB: residentMiB(pid)?.toFixed(0) ?? '-',
  });
  if (state?.corenlp) {
    const s = state.corenlp;
    rows.push({
      service: 'corenlp', origin: 'kept (services start)', version: s.version ?? '?', endpoint: s.url, ...kept(s.pid),
      coldStartS: (s.coldStartMs / 1000).toFixed(1),
      health: isKadapterService(s.pid) ? await timedHealth(() => probeCoreNlp(s.url, config)) : 'FAILING: process gone',
    });
  }
  if (state?.neo4j) {
    const s = state.neo4j;
    const connection = keptConnection(s);
    rows.push({
      service: 'neo4j', origin: 'kept (services start)', version: s.version ?? '?', endpoint: s.uri, ...kept(s.pid),
      coldStartS: (s.coldStartMs / 1000).toFixed(1),
      health: isKadapterService(s.pid) ? await timedHealth(() => neo4jVersion(connection)) : 'FAILING: process gone',
    });
  }
  if (rows.length === 0) {
    log(`no services running for profile "${config.profile}" (start them with: npm run services:start -- --profile ${config.profile}); commands start their own when needed`);
    return true;
  }
  log(formatTable(rows));
  return rows.every((r) => r.health.startsWith('ok'));
}

export async function stopServices(config: Config): Promise<void> {
  const { stateDir } = config.paths;
  const state = readState(stateDir, config.profile);
  if (!state) {
    log(`no services kept for profile "${config.profile}"`);
    return;
  }
  const procs = [
    state.corenlp && ServiceProcess.adopt('CoreNLP server', state.corenlp.pid, state.corenlp.logFile),
    state.neo4j && ServiceProcess.adopt('Neo4j', state.neo4j.pid, state.neo4j.logFile),
  ].filter((p): p is ServiceProcess => p !== undefined);
  await Promise.all(procs.map((p) => p.stop()));
  const left = procs.filter((p) => isKadapterService(p.pid));
  if (left.length > 0) throw new UserError(`could not stop ${left.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`);
  removeState(stateDir, config.profile);
  log(`stopped ${procs.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`);
}
