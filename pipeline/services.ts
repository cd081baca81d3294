// `kadapter services fetch|start|status|stop`: services that outlive one command, for a
// session of several commands (the stages find them through the state file).
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import { UserError } from '../src/util/errors.ts';
import { requireJava } from '../src/services/java.ts';
import { ServiceProcess, isKadapterService, residentMiB, startingDetached } from '../src/services/process.ts';
import { registeredServices, type ServiceDefinition, type ServiceName } from '../src/services/registry.ts';
import {
  readState,
  writeState,
  removeState,
  stateFile,
  type KeptService,
  type KeptServices,
} from '../src/services/state.ts';
import { formatTable } from '../src/util/table.ts';
import './service-definitions.ts';

const log = (line: string) => process.stdout.write(`${line}\n`);

export function fetchServices(config: Config): void {
  requireJava();
  for (const def of registeredServices()) log(`${def.title} jars: ${def.provision(config)}`);
}

function liveState(config: Config): KeptServices | null {
  const state = readState(config.paths.stateDir, config.profile);
  if (!state) return null;
  const alive = Object.values(state.services).some((s) => isKadapterService(s.pid));
  return alive ? state : null;
}

/** Starts a detached instance and says what the state file keeps of it. */
async function startKept<N extends ServiceName>(
  def: ServiceDefinition<N>,
  config: Config,
  logFile: string,
): Promise<{ name: ServiceName; process: ServiceProcess; kept: KeptService }> {
  const started = await def.start(config, { detached: true, logFile });
  return {
    name: def.name,
    process: started.process,
    kept: {
      pid: started.process.pid,
      logFile: started.process.logFile,
      version: started.version,
      coldStartMs: Math.round(started.coldStartMs),
      startedAt: new Date().toISOString(),
      ...started.keep,
    },
  };
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
  const results = await Promise.allSettled(
    registeredServices().map((def) => startKept(def, config, logFile(def.name))),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    for (const r of results) if (r.status === 'fulfilled') await r.value.process.stop();
    throw failed.reason as Error;
  }
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  writeState(stateDir, profile, {
    profile,
    services: Object.fromEntries(started.map((s) => [s.name, s.kept])),
  });
  // Recorded in the state file now: from here on `services stop` finds them.
  for (const { process: proc } of started) startingDetached.delete(proc);
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

/** The rows of a service configured as external: one per server behind it. */
async function externalRows<N extends ServiceName>(def: ServiceDefinition<N>, config: Config): Promise<StatusRow[]> {
  const address = def.external.address(config);
  if (address === null) return [];
  const rows: StatusRow[] = [];
  for (const server of def.servers?.(address) ?? [address]) {
    let version: string | null = null;
    const health = await timedHealth(async () => {
      version = await def.probe(server, config);
    });
    rows.push({
      service: def.name,
      origin: `external (${def.external.variable})`,
      version: version ?? '-',
      endpoint: def.describe(server),
      pid: '-',
      rssMiB: '-',
      coldStartS: '-',
      health,
    });
  }
  return rows;
}

/** The row of a service kept by `services start`, if the state file lists it. */
async function keptRow<N extends ServiceName>(
  def: ServiceDefinition<N>,
  config: Config,
  kept: KeptService,
): Promise<StatusRow> {
  const fields = def.kept.schema.safeParse(kept);
  const address = fields.success ? def.kept.address(fields.data, config) : null;
  const health = !isKadapterService(kept.pid)
    ? 'FAILING: process gone'
    : address === null
      ? 'FAILING: unreadable state file entry'
      : await timedHealth(() => def.probe(address, config));
  return {
    service: def.name,
    origin: 'kept (services start)',
    version: kept.version ?? '?',
    endpoint: address === null ? '?' : def.describe(address),
    pid: String(kept.pid),
    rssMiB: residentMiB(kept.pid)?.toFixed(0) ?? '-',
    coldStartS: (kept.coldStartMs / 1000).toFixed(1),
    health,
  };
}

/** Prints one row per service; returns whether every listed service is healthy. */
export async function printStatus(config: Config): Promise<boolean> {
  const rows: StatusRow[] = [];
  for (const def of registeredServices()) rows.push(...(await externalRows(def, config)));
  const state = readState(config.paths.stateDir, config.profile);
  for (const def of registeredServices()) {
    const kept = state?.services[def.name];
    if (kept) rows.push(await keptRow(def, config, kept));
  }
  if (rows.length === 0) {
    log(
      `no services running for profile "${config.profile}" (start them with: npm run services:start -- --profile ${config.profile}); commands start their own when needed`,
    );
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
  const title = (name: string) => registeredServices().find((def) => def.name === name)?.title ?? name;
  const procs = Object.entries(state.services).map(([name, kept]) =>
    ServiceProcess.adopt(title(name), kept.pid, kept.logFile),
  );
  await Promise.all(procs.map((p) => p.stop()));
  const left = procs.filter((p) => isKadapterService(p.pid));
  if (left.length > 0) throw new UserError(`could not stop ${left.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`);
  removeState(stateDir, config.profile);
  log(`stopped ${procs.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`);
}
