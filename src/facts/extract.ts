// Streams the graph back out of Neo4j page by page (keyset pagination: each page starts after the
// last key of the one before), so no query ever returns the whole graph at once.
import neo4j, { type Driver, type Record as Neo4jRecord } from 'neo4j-driver';
import type { KgEntity } from '../data/schemas.ts';
import { AliasIndex } from './alias-index.ts';
import { FactLookup } from './align.ts';
import { PREDICATES } from './predicates.ts';
import { factType, tripleKey, type StoredFact } from './store.ts';

/** Pages of a query ordered by its key: `next` gives the parameters that start after a record. */
async function* keysetPages(
  driver: Driver,
  query: string,
  first: Record<string, unknown>,
  next: (last: Neo4jRecord) => Record<string, unknown>,
  pageSize: number,
): AsyncIterable<Neo4jRecord> {
  let after = first;
  for (;;) {
    const { records } = await driver.executeQuery(query, { ...after, limit: neo4j.int(pageSize) });
    if (records.length === 0) return;
    yield* records;
    after = next(records[records.length - 1]!);
  }
}

export async function* streamEntities(driver: Driver, pageSize = 10_000): AsyncIterable<KgEntity> {
  const query = `MATCH (e:Entity) WHERE e.id > $after
     RETURN e.id AS id, e.name AS name, e.aliases AS aliases, e.types AS types, e.source AS source
     ORDER BY e.id LIMIT $limit`;
  for await (const r of keysetPages(driver, query, { after: '' }, (last) => ({ after: last.get('id') }), pageSize)) {
    yield {
      id: r.get('id'),
      name: r.get('name'),
      aliases: r.get('aliases') ?? [],
      types: r.get('types') ?? [],
      source: r.get('source') ?? '',
    };
  }
}

/**
 * One predicate's facts in (subject id, object id) order, a fact's identity. `s.id >= $subject`
 * lets the entity id index give the order; the rest of the key is a filter.
 */
export async function* streamTriples(driver: Driver, predicate: string, pageSize = 10_000): AsyncIterable<StoredFact> {
  const query = `MATCH (s:Entity)-[:${factType(predicate)}]->(o:Entity)
     WHERE s.id >= $subject AND (s.id > $subject OR o.id > $object)
     RETURN s.id AS subject, o.id AS object
     ORDER BY subject, object LIMIT $limit`;
  const after = (r: Neo4jRecord) => ({ subject: r.get('subject'), object: r.get('object') });
  for await (const r of keysetPages(driver, query, { subject: '', object: '' }, after, pageSize)) {
    yield { subject: r.get('subject'), predicate, object: r.get('object') };
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
export async function readIndexes(
  driver: Driver,
  only?: Loaded,
): Promise<{ index: AliasIndex; lookup: FactLookup; names: Map<string, string> }> {
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
