// Resolves the configuration: profile defaults, then environment overrides, then validation.
// An invalid value stops start-up with the offending key (and the variable it came from) named.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { Config, ProfileName, PROFILE_NAMES } from './schema.ts';
import { PROFILES } from './profiles.ts';
import { checkFolderSets, type SetEntry } from './sets.ts';
import { UsageError, ConfigError } from '../util/errors.ts';
import { repoRoot } from '../util/paths.ts';

type Env = Record<string, string | undefined>;

/** Environment variables and the config key each one sets. */
export const ENV_OVERRIDES = {
  CORENLP_URLS: 'services.corenlp.urls',
  NEO4J_URI: 'services.neo4j.uri',
  NEO4J_USER: 'services.neo4j.user',
  NEO4J_PASSWORD: 'services.neo4j.password',
  KADAPTER_NEO4J_HOME: 'services.neo4j.home',
  KADAPTER_BUILD_DIR: 'paths.buildDir',
  KADAPTER_BACKEND: 'backend',
  KADAPTER_CACHE_DIR: 'paths.cacheDir',
  KADAPTER_STATE_DIR: 'paths.stateDir',
  KADAPTER_BASE_MODEL: 'model.base',
  KADAPTER_REPORTS_DIR: 'paths.reportsDir',
} as const;
type EnvName = keyof typeof ENV_OVERRIDES;

function parseEnvValue(name: EnvName, raw: string): unknown {
  if (name === 'CORENLP_URLS') {
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
  return raw;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys[keys.length - 1]!] = value;
}

export interface LoadOptions {
  profile?: string;
  env?: Env;
  /** A base model folder from the command line (--base-model); wins over KADAPTER_BASE_MODEL. */
  baseModel?: string;
  /** The downstream protocol from the command line (--protocol). */
  protocol?: string;
  /**
   * Downstream sets from the command line (--data-dir task=entry, read by src/eval/sets.ts
   * parseSetEntries), by task: a task given here has these sets instead of the profile's.
   */
  sets?: Record<string, SetEntry[]>;
}

export function parseProfile(name: string | undefined): ProfileName {
  const parsed = ProfileName.safeParse(name ?? 'default');
  if (!parsed.success) {
    throw new UsageError(`unknown profile "${name}" (choose one of: ${PROFILE_NAMES.join(', ')})`);
  }
  return parsed.data;
}

export function loadConfig({
  profile: profileName,
  env = process.env,
  baseModel,
  protocol,
  sets,
}: LoadOptions = {}): Config {
  const profile = parseProfile(profileName);
  const cacheDir = path.join(os.homedir(), '.cache', 'kadapter');
  const draft: Record<string, unknown> = structuredClone({
    profile,
    ...PROFILES[profile],
    paths: {
      cacheDir,
      stateDir: path.join(cacheDir, 'run'),
      buildDir: path.join(repoRoot, 'datasets', 'build', profile),
      reportsDir: path.join(repoRoot, 'reports', profile),
    },
  });

  const fromEnv = new Map<string, EnvName>();
  for (const [name, key] of Object.entries(ENV_OVERRIDES) as [EnvName, string][]) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(draft, key, parseEnvValue(name, raw));
    fromEnv.set(key, name);
  }
  // KADAPTER_BUILD_DIR names the root; each profile builds in its own folder below it.
  if (fromEnv.has('paths.buildDir')) setPath(draft, 'paths.buildDir', path.join(env.KADAPTER_BUILD_DIR!, profile));
  if (fromEnv.has('paths.reportsDir'))
    setPath(draft, 'paths.reportsDir', path.join(env.KADAPTER_REPORTS_DIR!, profile));
  // The state folder follows a moved cache unless it is set on its own.
  if (fromEnv.has('paths.cacheDir') && !fromEnv.has('paths.stateDir')) {
    setPath(draft, 'paths.stateDir', path.join(env.KADAPTER_CACHE_DIR!, 'run'));
  }

  if (baseModel !== undefined) setPath(draft, 'model.base', path.resolve(baseModel));
  else if (fromEnv.has('model.base')) setPath(draft, 'model.base', path.resolve(env.KADAPTER_BASE_MODEL!));

  if (protocol !== undefined) setPath(draft, 'eval.protocol', protocol);
  for (const [task, list] of Object.entries(sets ?? {})) setPath(draft, `eval.sets.${task}`, list);

  const result = Config.safeParse(draft);
  if (!result.success) throw configError(result.error, fromEnv);
  const config = result.data;
  if (config.services.neo4j.uri !== null && config.services.neo4j.password === null) {
    throw new ConfigError('services.neo4j.password: NEO4J_PASSWORD is required with NEO4J_URI');
  }
  checkFolderSets(config);
  return config;
}

function configError(error: z.ZodError, fromEnv: Map<string, EnvName>): ConfigError {
  const lines = error.issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    const keyNoIndex = issue.path
      .filter((p) => typeof p !== 'number')
      .map(String)
      .join('.');
    const envName = fromEnv.get(key) ?? fromEnv.get(keyNoIndex);
    const source = envName ? ` (from ${envName})` : '';
    return `${key}${source}: ${issue.message}`;
  });
  return new ConfigError(`invalid configuration: ${lines.join('; ')}`);
}

/** The configuration as safe to print: no secret appears. */
export function redactConfig(config: Config): Config {
  const copy = structuredClone(config);
  if (copy.services.neo4j.password !== null) copy.services.neo4j.password = '***';
  return copy;
}
