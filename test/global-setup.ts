// Starts the real services once for the integration tests and hands their endpoints to the tests.
import type { TestProject } from 'vitest/node';
import 'vitest';
import { ServiceSession } from '../src/services/session.ts';
import type { Neo4jConnection } from '../src/facts/neo4j-client.ts';
import { testServiceConfig } from './service-config.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    corenlpUrl: string;
    neo4j: Neo4jConnection;
    servicePids: number[];
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = testServiceConfig('tests');
  const t0 = performance.now();
  const session = await ServiceSession.open(config, ['corenlp', 'neo4j']);
  const corenlp = session.get('corenlp');
  const neo4j = session.get('neo4j');
  process.stderr.write(
    `[global-setup] CoreNLP ${corenlp.origin} at ${corenlp.address[0]}, ` +
      `Neo4j ${neo4j.origin} at ${neo4j.address.uri}, ready in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  project.provide('corenlpUrl', corenlp.address[0]!);
  project.provide('neo4j', neo4j.address);
  project.provide(
    'servicePids',
    [corenlp.process?.pid, neo4j.process?.pid].filter((p): p is number => p !== undefined),
  );
  return () => session.close();
}
