import { afterAll, describe, expect, inject, it } from 'vitest';
import neo4j from 'neo4j-driver';
import { openDriver } from './neo4j-client.ts';
import { isLoopback, listeningAddresses } from '../../test/listening.ts';

const connection = inject('neo4j');
const driver = openDriver(connection);
afterAll(() => driver.close());

describe('Neo4j (real, embedded)', () => {
  it('writes and reads back a name with quotes, backticks, $ and more through parameters', async () => {
    const name = `O'Brien "the" \`tick\` $name {x} \\ new\nline 🚀`;
    await driver.executeQuery('MERGE (e:TestEntity {name: $name}) SET e.seen = coalesce(e.seen, 0) + 1', { name });
    const { records } = await driver.executeQuery(
      'MATCH (e:TestEntity {name: $name}) RETURN e.name AS name, e.seen AS seen',
      { name },
    );
    expect(records).toHaveLength(1);
    expect(records[0]!.get('name')).toBe(name);
    // The same MERGE again must not duplicate the node.
    await driver.executeQuery('MERGE (e:TestEntity {name: $name}) SET e.seen = e.seen + 1', { name });
    const again = await driver.executeQuery('MATCH (e:TestEntity {name: $name}) RETURN count(e) AS n', { name });
    expect(again.records[0]!.get('n').toNumber()).toBe(1);
  });

  it('answers a routing neo4j:// URI as well as bolt://', async () => {
    const routed = openDriver({ ...connection, uri: connection.uri.replace('bolt://', 'neo4j://') });
    try {
      const { records } = await routed.executeQuery('RETURN 41 + 1 AS answer', {}, { routing: neo4j.routing.READ });
      expect(records[0]!.get('answer').toNumber()).toBe(42);
    } finally {
      await routed.close();
    }
  });

  it('refuses a wrong password', async () => {
    const intruder = openDriver({ ...connection, password: `${connection.password}-wrong` });
    try {
      await expect(intruder.verifyConnectivity()).rejects.toMatchObject({
        code: 'Neo.ClientError.Security.Unauthorized',
      });
    } finally {
      await intruder.close();
    }
  });

  it('listens on loopback only', () => {
    const port = Number(new URL(connection.uri.replace('bolt://', 'http://')).port);
    const addresses = listeningAddresses(port);
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.filter((a) => !isLoopback(a))).toEqual([]);
  });
});
