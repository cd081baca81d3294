// The knowledge graph against the real Neo4j: idempotent batched loading of awkward data,
// paginated extraction, a server restart in the middle of a load, and the factual half of
// build-data end to end with its leakage guarantee.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Config } from '../config/schema.ts';
import { RelationExample, type KgEntity, type KgTriple } from '../data/schemas.ts';
import { openDriver } from './neo4j-client.ts';
import { ensureSchema, graphCounts, loadEntities, loadTriples } from './store.ts';
import { streamEntities, streamTriples } from './extract.ts';
import { startNeo4j } from './neo4j-service.ts';
import { testServiceConfig } from '../../test/service-config.ts';
import { buildDependencyData } from '../../pipeline/dependency-data.ts';
import { buildFactsData } from '../../pipeline/facts-data.ts';
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
    ];
    for (let round = 0; round < 2; round++) {
      await loadEntities(driver, entities, 2);
      const stats = await loadTriples(driver, triples, 2);
      expect(stats.skipped).toEqual({ 'self-loop': 1, 'duplicate-triple': 1, 'missing-endpoint': 1 });
    }
    const { records } = await driver.executeQuery('MATCH (e:Entity) WHERE e.id STARTS WITH $prefix RETURN e.name AS name ORDER BY e.id', { prefix: 'test:awkward:' });
    expect(records.map((r) => r.get('name'))).toEqual(names);
    const facts = await driver.executeQuery('MATCH (:Entity {id: $id})-[f:FACT]->() RETURN count(f) AS n', { id: 'test:awkward:0' });
    expect(Number(facts.records[0]!.get('n'))).toBe(1);
  });

  it('streams entities and facts back page by page', async () => {
    const entities = Array.from({ length: 25 }, (_, i) => entity(`test:page:${String(i).padStart(2, '0')}`, `page ${i}`));
    await loadEntities(driver, entities);
    await loadTriples(driver, entities.slice(1).map((e, i) => ({ subject: entities[i]!.id, predicate: 'P361', object: e.id, source: 'test' })));
    const ids: string[] = [];
    for await (const e of streamEntities(driver, 7)) if (e.id.startsWith('test:page:')) ids.push(e.id);
    expect(ids).toEqual(entities.map((e) => e.id));
    const facts: KgTriple[] = [];
    for await (const f of streamTriples(driver, 'P361', 5)) if (f.subject.startsWith('test:page:')) facts.push(f);
    expect(facts).toHaveLength(24);
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
      const loading = loadEntities(own, entities, 500);
      await new Promise((r) => setTimeout(r, 1500));
      const port = server.port;
      await server.process.stop();
      server = await startNeo4j(config, { detached: false, dataDir, logFile, port });
      const stats = await loading;
      expect(stats.written).toBe(30_000);
      expect((await graphCounts(own)).entities).toBe(30_000);
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
      for await (const row of readJsonl(path.join(config.paths.buildDir, 'facts', file))) examples[file]!.push(RelationExample.parse(row));
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
    const relations = JSON.parse(fs.readFileSync(path.join(config.paths.buildDir, 'facts', 'relations.json'), 'utf8')) as { id: string }[];
    expect(relations.at(-1)!.id).toBe('no_relation');
    expect(relations.map((r) => r.id)).toEqual(expect.arrayContaining(manifest.counts.relationsKept as string[]));
  });

  it('skips a second run whose inputs are unchanged', async () => {
    expect((await buildFactsData(config, { force: false })).finishedAt).toBe(manifest.finishedAt);
  });
});
