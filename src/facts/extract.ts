// Streams the graph back out of Neo4j page by page (keyset pagination on an indexed key), so no
// query ever returns the whole graph at once.
import neo4j, { type Driver, type Record as Neo4jRecord } from 'neo4j-driver';
import type { KgEntity, KgTriple } from '../data/schemas.ts';
import { AliasIndex } from './alias-index.ts';
import { FactLookup } from './align.ts';
import { PREDICATES } from './predicates.ts';
import { tripleKey } from './store.ts';

/** Pages of a query ordered by an indexed `key` column: each page starts after the last key seen. */
async function* keysetPages(driver: Driver, query: string, params: Record<string, unknown>, pageSize: number): AsyncIterable<Neo4jRecord> {
  let after = '';
  for (;;) {
    const { records } = await driver.executeQuery(query, { ...params, after, limit: neo4j.int(pageSize) });
    if (records.length === 0) return;
    yield* records;
    after = records[records.length - 1]!.get('key') as string;
  }
}

export async function* streamEntities(driver: Driver, pageSize = 10_000): AsyncIterable<KgEntity> {
  const query = `MATCH (e:Entity) WHERE e.id > $after
     RETURN e.id AS key, e.name AS name, e.aliases AS aliases, e.types AS types, e.source AS source
     ORDER BY e.id LIMIT $limit`;
  for await (const r of keysetPages(driver, query, {}, pageSize)) {
    yield { id: r.get('key'), name: r.get('name'), aliases: r.get('aliases') ?? [], types: r.get('types') ?? [], source: r.get('source') ?? '' };
  }
}

export async function* streamTriples(driver: Driver, predicate: string, pageSize = 10_000): AsyncIterable<KgTriple> {
  const query = `MATCH (s:Entity)-[f:FACT]->(o:Entity) WHERE f.predicate = $predicate AND f.key > $after
     RETURN f.key AS key, s.id AS subject, o.id AS object, f.source AS source
     ORDER BY f.key LIMIT $limit`;
  for await (const r of keysetPages(driver, query, { predicate }, pageSize)) {
    yield { subject: r.get('subject'), predicate, object: r.get('object'), source: r.get('source') ?? '' };
  }
}

export interface Loaded {
  entities: ReadonlySet<string>;
  /** Fact keys (subject|predicate|object). */
  facts: ReadonlySet<string>;
}

/**
 * Everything alignment needs from the graph: an alias index over entities, facts by pair, names.
 * With `only`, what an earlier run left in the same database (another profile, an older mapping)
 * is passed over.
 */
export async function readIndexes(driver: Driver, only?: Loaded): Promise<{ index: AliasIndex; lookup: FactLookup; names: Map<string, string> }> {
  const index = new AliasIndex();
  const names = new Map<string, string>();
  for await (const e of streamEntities(driver)) {
    if (only && !only.entities.has(e.id)) continue;
    index.add(e);
    names.set(e.id, e.name);
  }
  const lookup = new FactLookup();
  for (const p of PREDICATES) {
    for await (const f of streamTriples(driver, p.id)) {
      if (!only || only.facts.has(tripleKey(f))) lookup.add(f);
    }
  }
  return { index, lookup, names };
}
