// Opens the Neo4j driver for a configured or embedded server. Queries elsewhere always pass
// parameters; nothing here builds Cypher from values.
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
