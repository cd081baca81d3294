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
  process.stderr.write(
    `[global-setup] CoreNLP ${session.corenlp!.origin} at ${session.corenlp!.urls[0]}, ` +
      `Neo4j ${session.neo4j!.origin} at ${session.neo4j!.connection.uri}, ready in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  project.provide('corenlpUrl', session.corenlp!.urls[0]!);
  project.provide('neo4j', session.neo4j!.connection);
  project.provide('servicePids', [session.corenlp!.process?.pid, session.neo4j!.process?.pid].filter((p): p is number => p !== undefined));
  return () => session.close();
}
