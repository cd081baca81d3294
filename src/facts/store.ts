// The knowledge graph in Neo4j: (:Entity {id, name, aliases, types, source}) nodes, and each fact a
// relationship whose type is its predicate id and which has no properties, as in Wikidata's graph:
// (:Entity {id: 'country:FRA'})-[:P36]->(:Entity). A fact is identified by (subject, predicate,
// object). Facts carry no properties because a relationship's property record is the largest cost
// of loading (docs/decisions.md, "The fact store"); so a fact's source is not stored per fact (the
// load's manifest counts facts per source and predicate).
// Constraints and indexes come first; rows go in batches through UNWIND with parameters: entities by
// MERGE, facts by create-unless-present (writeFacts), so loading twice changes nothing. The driver
// retries a batch across a server restart or a deadlock between writers.
import type { Driver } from 'neo4j-driver';
import type { KgEntity, KgTriple } from '../data/schemas.ts';
import { PREDICATE_IDS } from './predicates.ts';

export const SCHEMA_STATEMENTS = [
  'CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (e:Entity) REQUIRE e.id IS UNIQUE',
  'CREATE INDEX entity_name IF NOT EXISTS FOR (e:Entity) ON (e.name)',
];

/** Constraints and indexes; a store written by the earlier layout is cleared of it first. */
export async function ensureSchema(driver: Driver): Promise<{ formerFactsRemoved: number }> {
  const formerFactsRemoved = await removeFormerFacts(driver);
  for (const statement of SCHEMA_STATEMENTS) await driver.executeQuery(statement);
  await driver.executeQuery('CALL db.awaitIndexes(300)');
  return { formerFactsRemoved };
}

/**
 * The former layout held facts as [:FACT {key, predicate, source}] relationships between entities,
 * with the indexes fact_key and fact_predicate. A store kept from it would hold every fact twice,
 * that copy invisible to extraction; they are removed here. Only that exact shape is touched (a key
 * built from the two ids and the predicate; each index on its one FACT property), so an external
 * database's own FACT relationships, or indexes that share a name, are left alone.
 */
async function removeFormerFacts(driver: Driver): Promise<number> {
  const { records: indexes } = await driver.executeQuery(
    `SHOW INDEXES YIELD name, entityType, labelsOrTypes, properties
     WHERE entityType = 'RELATIONSHIP' AND labelsOrTypes = ['FACT']
       AND [name, properties] IN [['fact_key', ['key']], ['fact_predicate', ['predicate']]]
     RETURN name`,
  );
  const present = new Set(indexes.map((r) => r.get('name') as string));
  for (const name of ['fact_key', 'fact_predicate'])
    if (present.has(name)) await driver.executeQuery(`DROP INDEX ${name}`);
  const former = "MATCH (s:Entity)-[f:FACT]->(o:Entity) WHERE f.key = s.id + '|' + f.predicate + '|' + o.id";
  const { records } = await driver.executeQuery(`${former} RETURN count(f) AS n`);
  const n = Number(records[0]!.get('n'));
  if (n > 0) await deleteRelationships(driver, former);
  return n;
}

/** Deletes the relationships `f` that a fixed MATCH clause of the code binds, 50k per transaction. */
export async function deleteRelationships(driver: Driver, match: string): Promise<void> {
  // CALL … IN TRANSACTIONS needs an implicit transaction, which executeQuery does not give.
  const session = driver.session();
  try {
    await session.run(`${match} CALL (f) { DELETE f } IN TRANSACTIONS OF 50000 ROWS`);
  } finally {
    await session.close();
  }
}

/** A fact as the graph holds it: no source (see above). */
export type StoredFact = Pick<KgTriple, 'subject' | 'predicate' | 'object'>;

export const tripleKey = (t: StoredFact) => `${t.subject}|${t.predicate}|${t.object}`;

/**
 * The relationship type of a predicate's facts, for a statement's text. A type cannot be a
 * parameter short of Neo4j's dynamic types, which plan slower than a written type; so it is spliced in,
 * and only from the fixed predicate list, never from data.
 */
export function factType(predicate: string): string {
  if (!PREDICATE_IDS.includes(predicate) || !/^P\d+$/.test(predicate))
    throw new Error(`not a predicate of the graph: ${JSON.stringify(predicate)}`);
  return predicate;
}

export interface LoadStats {
  rows: number;
  /** Rows stored after the load: created now, or already there. */
  written: number;
  skipped: Record<string, number>;
  seconds: number;
}

function chunks<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** Runs `jobs` on `writers` concurrent loops, in order of start. */
async function inParallel<T>(jobs: T[], writers: number, run: (job: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, writers) }, async () => {
      while (next < jobs.length) await run(jobs[next++]!);
    }),
  );
}

export async function loadEntities(driver: Driver, entities: KgEntity[], batchSize = 5000): Promise<LoadStats> {
  const t0 = performance.now();
  let written = 0;
  for (const batch of chunks(entities, batchSize)) {
    // Rows go as lists, not maps: the driver then packs no field names, which cost more than the
    // writing.
    const { records } = await driver.executeQuery(
      `UNWIND $rows AS r
       MERGE (e:Entity {id: r[0]})
       SET e.name = r[1], e.aliases = r[2], e.types = r[3], e.source = r[4]
       RETURN count(*) AS n`,
      { rows: batch.map((e) => [e.id, e.name, e.aliases, e.types, e.source]) },
    );
    written += Number(records[0]!.get('n'));
  }
  return { rows: entities.length, written, skipped: {}, seconds: (performance.now() - t0) / 1000 };
}

// One batch of one predicate: rows are [subject id, object id], found through the entity id
// constraint's index. A fact is created only when the two are not joined by its type already,
// which keeps loading idempotent, a retried batch included. Within one load every fact is in one
// batch only, so concurrent writers never race to create the same fact (MERGE would lock both
// endpoints for that, and load slower). Not by element id: no faster, and the planner would then
// need steering off the id index that guards against a reused element id.
const writeFacts = (predicate: string) => `UNWIND $rows AS r
  MATCH (s:Entity {id: r[0]})
  MATCH (o:Entity {id: r[1]})
  WITH s, o, EXISTS { (s)-[:${factType(predicate)}]->(o) } AS existed
  FOREACH (_ IN CASE WHEN existed THEN [] ELSE [1] END | CREATE (s)-[:${factType(predicate)}]->(o))
  RETURN count(*) AS matched, sum(CASE WHEN existed THEN 0 ELSE 1 END) AS created`;

/**
 * Drops self-loops, duplicates and predicates outside the list (counted), stores the rest; facts
 * whose ends are missing are counted.
 */
export async function loadTriples(
  driver: Driver,
  triples: KgTriple[],
  batchSize = 5000,
  opts: { writers?: number } = {},
): Promise<LoadStats & { created: number }> {
  const t0 = performance.now();
  const skipped: Record<string, number> = {};
  const skip = (why: string, n = 1) => (skipped[why] = (skipped[why] ?? 0) + n);
  const unique = new Map<string, KgTriple>();
  for (const t of triples) {
    if (t.subject === t.object) {
      skip('self-loop');
      continue;
    }
    if (!PREDICATE_IDS.includes(t.predicate)) {
      skip('unknown-predicate');
      continue;
    }
    const key = tripleKey(t);
    if (unique.has(key)) skip('duplicate-triple');
    else unique.set(key, t);
  }

  // Facts of one subject together: a batch then touches fewer nodes, and loads faster.
  const groups = new Map<string, string[][]>();
  for (const key of [...unique.keys()].sort()) {
    const t = unique.get(key)!;
    let rows = groups.get(t.predicate);
    if (!rows) groups.set(t.predicate, (rows = []));
    rows.push([t.subject, t.object]);
  }
  const jobs = [...groups].flatMap(([predicate, rows]) =>
    chunks(rows, batchSize).map((batch) => ({ predicate, rows: batch })),
  );

  let written = 0;
  let created = 0;
  await inParallel(jobs, opts.writers ?? 1, async (job) => {
    const { records } = await driver.executeQuery(writeFacts(job.predicate), { rows: job.rows });
    const matched = Number(records[0]!.get('matched'));
    written += matched;
    created += Number(records[0]!.get('created'));
    if (matched < job.rows.length) skip('missing-endpoint', job.rows.length - matched);
  });
  return { rows: triples.length, written, created, skipped, seconds: (performance.now() - t0) / 1000 };
}

/** Node count, and facts as stored per predicate (from Neo4j's count store: no scan). */
export async function graphCounts(driver: Driver): Promise<{ entities: number; facts: Record<string, number> }> {
  const nodes = await driver.executeQuery('MATCH (e:Entity) RETURN count(e) AS n');
  const facts: Record<string, number> = {};
  for (const p of [...PREDICATE_IDS].sort()) {
    const { records } = await driver.executeQuery(`MATCH ()-[f:${factType(p)}]->() RETURN count(f) AS n`);
    const n = Number(records[0]!.get('n'));
    if (n > 0) facts[p] = n;
  }
  return { entities: Number(nodes.records[0]!.get('n')), facts };
}
