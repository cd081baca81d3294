// Configuration for tests that start services: the smoke profile, with state and the Neo4j home
// in a temporary folder so that a developer's own services and data are never touched. Jars come
// from the usual cache. Importing it registers the services, as a command's modules do.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import '../pipeline/service-definitions.ts';

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

export function testServiceEnv(label: string): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kadapter-${label}-`));
  made.push(dir);
  return {
    KADAPTER_STATE_DIR: path.join(dir, 'run'),
    KADAPTER_NEO4J_HOME: path.join(dir, 'neo4j'),
  };
}

export function testServiceConfig(label: string): Config {
  return loadConfig({ profile: 'smoke', env: { ...process.env, ...testServiceEnv(label) } });
}
