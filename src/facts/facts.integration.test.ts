// The knowledge graph against the real Neo4j: idempotent batched loading of awkward data,
// paginated extraction, a server restart in the middle of a load, and the factual half of
// build-data end to end with its leakage guarantee.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { RelationsFile } from '../data/schemas.ts';
import { RelationExample, type KgEntity, type KgTriple } from '../data/schemas.ts';
import { openDriver } from './neo4j-client.ts';
import { ensureSchema, graphCounts, loadEntities, loadTriples, tripleKey } from './store.ts';
import { streamEntities, streamTriples } from './extract.ts';
import { startNeo4j } from './neo4j-service.ts';
import { testServiceConfig } from '../../test/service-config.ts';
import { buildDependencyData } from '../../pipeline/dependency-data.ts';
import { buildFactsData } from '../../pipeline/facts-data.ts';
import { readJsonFile } from '../util/json-file.ts';
import { readJsonl } from '../util/jsonl.ts';
import type { Manifest } from '../util/manifest.ts';

const connection = inject('neo4j');
const corenlpUrl = inject('corenlpUrl');

const entity = (id: string, name: string): KgEntity => ({ id, name, aliases: [], types: ['entity'], source: 'test' });

describe('knowledge graph store (real Neo4j)', () => {
  const driver = openDriver(connection);

  it('stores awkward names verbatim, skips self-loops and duplicates, and loads idempotently', async () => {
    await ensureSchema(driver);
    const names = [`O'Hara "the" \`tick\``, '$param {not} a $parameter', 'line\nbreak', 'emoji 🚀 café'];
    const entities = names.map((n, i) => entity(`test:awkward:${i}`, n));
    const triples: KgTriple[] = [
      { subject: 'test:awkward:0', predicate: 'P47', object: 'test:awkward:1', source: 'test' },
      { subject: 'test:awkward:0', predicate: 'P47', object: 'test:awkward:1', source: 'test' },
      { subject: 'test:awkward:2', predicate: 'P31', object: 'test:awkward:2', source: 'test' },
      { subject: 'test:awkward:3', predicate: 'P279', object: 'test:missing', source: 'test' },
      { subject: 'test:awkward:1', predicate: 'P999', object: 'test:awkward:2', source: 'test' },
    ];
    for (let round = 0; round < 2; round++) {
      await loadEntities(driver, entities, 2);
      const stats = await loadTriples(driver, triples, 2);
      expect(stats.skipped).toEqual({
        'self-loop': 1,
        'duplicate-triple': 1,
        'unknown-predicate': 1,
        'missing-endpoint': 1,
      });
      expect([stats.written, stats.created]).toEqual([1, round === 0 ? 1 : 0]);
    }
    const { records } = await driver.executeQuery(
      'MATCH (e:Entity) WHERE e.id STARTS WITH $prefix RETURN e.name AS name ORDER BY e.id',
      { prefix: 'test:awkward:' },
    );
    expect(records.map((r) => r.get('name'))).toEqual(names);
    const facts = await driver.executeQuery(
      "MATCH (e:Entity)-[f]-() WHERE e.id STARTS WITH 'test:awkward:' RETURN DISTINCT type(f) AS type, count(f) AS n",
    );
    expect(facts.records.map((r) => [r.get('type'), Number(r.get('n'))])).toEqual([['P47', 2]]);
  });

  it('clears a kept store of facts in the earlier [:FACT] layout and its indexes, and nothing else', async () => {
    await loadEntities(driver, [entity('test:former:0', 'former 0'), entity('test:former:1', 'former 1')]);
    try {
      await driver.executeQuery('CREATE INDEX fact_key IF NOT EXISTS FOR ()-[f:FACT]-() ON (f.key)');
      // Look-alikes an external database could hold: a name of ours on another property, and
      // facts with a key of another making, or between other nodes.
      await driver.executeQuery('CREATE INDEX fact_predicate IF NOT EXISTS FOR ()-[f:FACT]-() ON (f.note)');
      await driver.executeQuery(
        `MATCH (a:Entity {id: 'test:former:0'}), (b:Entity {id: 'test:former:1'})
         CREATE (a)-[:FACT {key: 'test:former:0|P361|test:former:1', predicate: 'P361', source: 'test'}]->(b)
         CREATE (a)-[:FACT {key: 'their own key', predicate: 'P361', note: 'their key'}]->(b)
         CREATE (a)-[:FACT {note: 'no key'}]->(b)
         CREATE (:Other)-[:FACT {key: 'x|P1|y', predicate: 'P1', note: 'not entities'}]->(:Other)`,
      );
      expect(await ensureSchema(driver)).toEqual({ formerFactsRemoved: 1 });
      const left = await driver.executeQuery('MATCH ()-[f:FACT]->() RETURN f.note AS note ORDER BY note');
      expect(left.records.map((r) => r.get('note'))).toEqual(['no key', 'not entities', 'their key']);
      const indexes = await driver.executeQuery(
        "SHOW INDEXES YIELD name WHERE name CONTAINS 'fact_' RETURN name ORDER BY name",
      );
      expect(indexes.records.map((r) => r.get('name'))).toEqual(['fact_predicate']);
      expect(await ensureSchema(driver)).toEqual({ formerFactsRemoved: 0 });
    } finally {
      await driver.executeQuery('MATCH (:Entity)-[f:FACT]->() DELETE f');
      await driver.executeQuery('MATCH (n:Other) DETACH DELETE n');
      for (const name of ['fact_key', 'fact_predicate']) await driver.executeQuery(`DROP INDEX ${name} IF EXISTS`);
    }
  });

  it('writes concurrently around shared hub entities, each fact once', async () => {
    const hubs = Array.from({ length: 3 }, (_, i) => entity(`test:hub:${i}`, `hub ${i}`));
    const leaves = Array.from({ length: 400 }, (_, i) => entity(`test:leaf:${i}`, `leaf ${i}`));
    await loadEntities(driver, [...hubs, ...leaves]);
    // Every leaf points at every hub and back, in small batches on four writers: transactions
    // lock the same hubs in different orders, and a deadlock is retried, not lost or doubled.
    const triples: KgTriple[] = leaves.flatMap((l) =>
      hubs.flatMap((h) => [
        { subject: l.id, predicate: 'P361', object: h.id, source: 'test' },
        { subject: h.id, predicate: 'P527', object: l.id, source: 'test' },
      ]),
    );
    for (let round = 0; round < 2; round++) {
      const stats = await loadTriples(driver, triples, 50, { writers: 4 });
      expect([stats.written, stats.created, stats.skipped]).toEqual([2400, round === 0 ? 2400 : 0, {}]);
    }
    const { records } = await driver.executeQuery(
      "MATCH (h:Entity)-[f]-() WHERE h.id STARTS WITH 'test:hub:' RETURN count(f) AS n, count(DISTINCT [startNode(f).id, type(f), endNode(f).id]) AS facts",
    );
    expect([Number(records[0]!.get('n')), Number(records[0]!.get('facts'))]).toEqual([2400, 2400]);
  });

  it("streams entities and facts back page by page, pages breaking inside one subject's facts", async () => {
    const entities = Array.from({ length: 25 }, (_, i) =>
      entity(`test:page:${String(i).padStart(2, '0')}`, `page ${i}`),
    );
    await loadEntities(driver, entities);
    // A chain, and a first entity that is part of twelve others: pages of 5 end mid-subject.
    const chain = entities
      .slice(1)
      .map((e, i) => ({ subject: entities[i]!.id, predicate: 'P361', object: e.id, source: 'test' }));
    const fan = entities
      .slice(2, 14)
      .map((e) => ({ subject: entities[0]!.id, predicate: 'P361', object: e.id, source: 'test' }));
    await loadTriples(driver, [...chain, ...fan]);
    const ids: string[] = [];
    for await (const e of streamEntities(driver, 7)) if (e.id.startsWith('test:page:')) ids.push(e.id);
    expect(ids).toEqual(entities.map((e) => e.id));
    const facts: string[] = [];
    for await (const f of streamTriples(driver, 'P361', 5))
      if (f.subject.startsWith('test:page:')) facts.push(tripleKey(f));
    expect(facts).toEqual([...chain, ...fan].map(tripleKey).sort());
  });

  it('finishes a load across a Neo4j restart', async () => {
    const config = testServiceConfig('kg-restart');
    const dataDir = config.services.neo4j.home!;
    const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-kg-restart-')), 'neo4j.log');
    let server = await startNeo4j(config, { detached: false, dataDir, logFile });
    const own = openDriver(server.connection);
    try {
      await ensureSchema(own);
      const entities = Array.from({ length: 30_000 }, (_, i) => entity(`r:${i}`, `restart ${i}`));
      // Stops the server once the load has stored something and while it is still going.
      const restartDuring = async <T>(loading: Promise<T>, stored: () => Promise<number>): Promise<T> => {
        let settled = false;
        void loading.finally(() => (settled = true)).catch(() => undefined);
        while ((await stored()) === 0) await new Promise((r) => setTimeout(r, 100));
        expect(settled, 'the load ended before the restart; make it longer').toBe(false);
        const port = server.port;
        await server.process.stop();
        server = await startNeo4j(config, { detached: false, dataDir, logFile, port });
        return loading;
      };
      const stats = await restartDuring(
        loadEntities(own, entities, 500),
        async () => (await graphCounts(own)).entities,
      );
      expect(stats.written).toBe(30_000);
      expect((await graphCounts(own)).entities).toBe(30_000);

      // Facts on two writers; a batch that committed before its answer was lost is retried
      // without doubling a fact.
      const chain: KgTriple[] = entities.slice(1).flatMap((e, i) => [
        { subject: entities[i]!.id, predicate: 'P361', object: e.id, source: 'test' },
        { subject: e.id, predicate: 'P527', object: entities[i]!.id, source: 'test' },
      ]);
      const factCount = async () => Object.values((await graphCounts(own)).facts).reduce((a, b) => a + b, 0);
      const facts = await restartDuring(loadTriples(own, chain, 50, { writers: 2 }), factCount);
      expect([facts.written, facts.skipped]).toEqual([59_998, {}]);
      expect((await graphCounts(own)).facts).toEqual({ P361: 29_999, P527: 29_999 });
    } finally {
      await own.close();
      await server.process.stop();
    }
  });
});

describe('build-data, factual half (real CoreNLP and Neo4j)', () => {
  let config: Config;
  let manifest: Manifest;
  const examples: Record<string, RelationExample[]> = {};

  beforeAll(async () => {
    const base = testServiceConfig('facts-build');
    config = {
      ...base,
      paths: { ...base.paths, buildDir: fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-facts-build-')) },
      services: {
        ...base.services,
        corenlp: { ...base.services.corenlp, urls: [corenlpUrl] },
        neo4j: { ...base.services.neo4j, uri: connection.uri, user: connection.user, password: connection.password },
      },
      data: { ...base.data, sentences: 400, sources: ['brown', 'wordnet'] },
    };
    await buildDependencyData(config, { force: false, inputs: [] });
    manifest = await buildFactsData(config, { force: false });
    for (const file of manifest.outputs.map((o) => o.file).filter((f) => !f.startsWith('entity_typing'))) {
      examples[file] = [];
      for await (const row of readJsonl(path.join(config.paths.buildDir, 'facts', file), RelationExample))
        examples[file]!.push(row);
    }
  });

  it('loads the KG slice and writes relation examples whose spans hold the entities', () => {
    const graph = manifest.counts.graph as { entities: number; facts: Record<string, number> };
    expect(graph.entities).toBeGreaterThan(3000);
    expect(Object.keys(graph.facts)).toEqual(expect.arrayContaining(['P36', 'P1376', 'P17', 'P47', 'P279']));
    const all = Object.values(examples).flat();
    expect(all.filter((e) => e.relation !== 'no_relation').length).toBeGreaterThan(0);
    for (const e of all) {
      expect(e.subj_end).toBeLessThan(e.token.length);
      expect(e.obj_end).toBeLessThan(e.token.length);
      expect(e.subj_end < e.obj_start || e.obj_end < e.subj_start).toBe(true);
    }
  });

  it('puts no entity pair in more than one split, downstream hold-out included', () => {
    const owner = new Map<string, string>();
    for (const [file, rows] of Object.entries(examples)) {
      for (const e of rows) {
        const pair = [e.subj_id, e.obj_id].sort().join('|');
        const prev = owner.get(pair);
        expect(prev === undefined || prev === file, `${pair} in ${prev} and ${file}`).toBe(true);
        owner.set(pair, file);
      }
    }
  });

  it('records relations and their counts', () => {
    const relations = readJsonFile(path.join(config.paths.buildDir, 'facts', 'relations.json'), RelationsFile);
    expect(relations.at(-1)!.id).toBe('no_relation');
    expect(relations.map((r) => r.id)).toEqual(expect.arrayContaining(manifest.counts.relationsKept as string[]));
  });

  it('skips a second run whose inputs are unchanged', async () => {
    expect((await buildFactsData(config, { force: false })).finishedAt).toBe(manifest.finishedAt);
  });
});
