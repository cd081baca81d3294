// The knowledge graph in Neo4j: (:Entity {id, name, aliases, types, source}) nodes and
// [:FACT {key, predicate, source}] relationships. Constraints and indexes come first; rows go in
// batches through UNWIND with parameters (no value is ever spliced into Cypher): entities by MERGE,
// facts by a create-unless-present that MERGE would plan badly (WRITE_FACTS), so loading twice
// changes nothing. The driver retries a batch across a server restart or a deadlock between writers.
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
  /** Rows stored after the load: created now, or already there. */
  written: number;
  skipped: Record<string, number>;
  seconds: number;
}

/** Entity id → Neo4j element id, as an entity load returns them. */
export type ElementIds = Map<string, string>;

function chunks<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** Runs `jobs` on `writers` concurrent loops, in order of start. */
async function inParallel<T>(jobs: T[], writers: number, run: (job: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, writers) }, async () => {
    while (next < jobs.length) await run(jobs[next++]!);
  }));
}

export async function loadEntities(driver: Driver, entities: KgEntity[], batchSize = 5000): Promise<LoadStats & { elementIds: ElementIds }> {
  const t0 = performance.now();
  const elementIds: ElementIds = new Map();
  let written = 0;
  for (const batch of chunks(entities, batchSize)) {
    // Rows go as lists, not maps: the driver then packs no field names (for the facts, shipping
    // lists ran ~4× faster than maps).
    const { records } = await driver.executeQuery(
      `UNWIND $rows AS r
       MERGE (e:Entity {id: r[0]})
       SET e.name = r[1], e.aliases = r[2], e.types = r[3], e.source = r[4]
       RETURN r[0] AS id, elementId(e) AS eid`,
      { rows: batch.map((e) => [e.id, e.name, e.aliases, e.types, e.source]) },
    );
    for (const r of records) elementIds.set(r.get('id') as string, r.get('eid') as string);
    written += records.length;
  }
  return { rows: entities.length, written, skipped: {}, seconds: (performance.now() - t0) / 1000, elementIds };
}

/** Element ids of the given entity ids that the store holds; absent ids are left out. */
async function resolveElementIds(driver: Driver, ids: string[], batchSize: number): Promise<ElementIds> {
  const out: ElementIds = new Map();
  for (const batch of chunks(ids, batchSize)) {
    const { records } = await driver.executeQuery('UNWIND $ids AS id MATCH (e:Entity {id: id}) RETURN id, elementId(e) AS eid', { ids: batch });
    for (const r of records) out.set(r.get('id') as string, r.get('eid') as string);
  }
  return out;
}

export interface LoadTriplesOptions {
  /** Concurrent write transactions (each its own batch). */
  writers?: number;
  /** Element ids already known, from loadEntities; others are looked up. */
  elementIds?: ElementIds;
}

// One batch of one predicate and source: rows are [subject element id, object element id,
// subject id, object id]. The endpoints are found by element id (no index lookup, no lock on an
// index entry) and checked against their ids, so an element id reused after a delete never
// attaches a fact to the wrong entity. A fact is created only when no FACT with its key joins the
// two already, which keeps loading idempotent, a retried batch included. `f.key + ''` keeps the
// planner from answering that check with the key index: with MERGE it sometimes chose a scan of
// that index per row, which ran >30× slower than expanding between the two bound endpoints.
const WRITE_FACTS = `UNWIND $rows AS r
  MATCH (s:Entity) WHERE elementId(s) = r[0] AND s.id = r[2]
  MATCH (o:Entity) WHERE elementId(o) = r[1] AND o.id = r[3]
  WITH s, o, r[2] + '|' + $predicate + '|' + r[3] AS key
  WITH s, o, key, EXISTS { (s)-[f:FACT]->(o) WHERE f.key + '' = key } AS existed
  FOREACH (_ IN CASE WHEN existed THEN [] ELSE [1] END |
    CREATE (s)-[:FACT {key: key, predicate: $predicate, source: $source}]->(o))
  RETURN count(*) AS matched, sum(CASE WHEN existed THEN 0 ELSE 1 END) AS created`;

/** Drops self-loops and duplicates (counted), stores the rest; facts whose ends are missing are counted. */
export async function loadTriples(driver: Driver, triples: KgTriple[], batchSize = 5000, opts: LoadTriplesOptions = {}): Promise<LoadStats & { created: number }> {
  const t0 = performance.now();
  const skipped: Record<string, number> = {};
  const skip = (why: string, n = 1) => (skipped[why] = (skipped[why] ?? 0) + n);
  const unique = new Map<string, KgTriple>();
  for (const t of triples) {
    if (t.subject === t.object) {
      skip('self-loop');
      continue;
    }
    const key = tripleKey(t);
    if (unique.has(key)) skip('duplicate-triple');
    else unique.set(key, t);
  }

  const known = opts.elementIds ?? new Map<string, string>();
  const unknown = new Set<string>();
  for (const t of unique.values()) for (const id of [t.subject, t.object]) if (!known.has(id)) unknown.add(id);
  const found = await resolveElementIds(driver, [...unknown], batchSize);
  const eid = (id: string) => known.get(id) ?? found.get(id);

  // Facts of one subject together: a batch then touches fewer nodes (measured ~1.3× faster here).
  const groups = new Map<string, { predicate: string; source: string; rows: string[][] }>();
  for (const key of [...unique.keys()].sort()) {
    const t = unique.get(key)!;
    const s = eid(t.subject);
    const o = eid(t.object);
    if (s === undefined || o === undefined) {
      skip('missing-endpoint');
      continue;
    }
    const group = `${t.predicate}\t${t.source}`;
    let g = groups.get(group);
    if (!g) groups.set(group, (g = { predicate: t.predicate, source: t.source, rows: [] }));
    g.rows.push([s, o, t.subject, t.object]);
  }
  const jobs = [...groups.values()].flatMap((g) => chunks(g.rows, batchSize).map((rows) => ({ rows, predicate: g.predicate, source: g.source })));

  let written = 0;
  let created = 0;
  await inParallel(jobs, opts.writers ?? 1, async (job) => {
    const { records } = await driver.executeQuery(WRITE_FACTS, job);
    const matched = Number(records[0]!.get('matched'));
    written += matched;
    created += Number(records[0]!.get('created'));
    if (matched < job.rows.length) skip('missing-endpoint', job.rows.length - matched);
  });
  return { rows: triples.length, written, created, skipped, seconds: (performance.now() - t0) / 1000 };
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
