// Opens the Neo4j driver for a configured or embedded server. Queries elsewhere always pass
// values as parameters; the one piece of statement text not fixed in the code is a fact's
// relationship type, and that comes from the predicate list only (factType in store.ts).
import neo4j, { type Driver } from 'neo4j-driver';

export interface Neo4jConnection {
  uri: string;
  user: string;
  password: string;
}

export function openDriver(conn: Neo4jConnection): Driver {
  return neo4j.driver(conn.uri, neo4j.auth.basic(conn.user, conn.password), {
    userAgent: 'kadapter',
    connectionAcquisitionTimeout: 60_000,
  });
}

/** Server version, after the driver's own connectivity check. */
export async function neo4jVersion(conn: Neo4jConnection): Promise<string> {
  const driver = openDriver(conn);
  try {
    await driver.verifyConnectivity();
    const result = await driver.executeQuery('CALL dbms.components() YIELD versions RETURN versions[0] AS version');
    return String(result.records[0]?.get('version') ?? 'unknown');
  } finally {
    await driver.close();
  }
}
