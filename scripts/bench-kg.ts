// npm run bench:kg — loading the knowledge graph into a fresh embedded Neo4j: batched UNWIND
// against one statement per fact on the same 10k-fact slice (ratio), the whole offline KG
// batched (one writer, the configured writers, then loaded again), then extraction (paged) and
// alignment over the parsed sentences of a profile.
// Prints a table and writes reports/bench/kg.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { DependencyExample } from '../src/data/schemas.ts';
import { alignMentions } from '../src/facts/align.ts';
import { readIndexes } from '../src/facts/extract.ts';
import { openDriver } from '../src/facts/neo4j-client.ts';
import { startNeo4j } from '../src/facts/neo4j-service.ts';
import { loadKnowledge } from '../src/facts/sources/index.ts';
import { deleteRelationships, ensureSchema, loadEntities, loadTriples } from '../src/facts/store.ts';
import { readJsonl } from '../src/util/jsonl.ts';
import { readManifest } from '../src/util/manifest.ts';
import { formatTable, type Row } from '../src/util/table.ts';
import { repoRoot } from '../src/util/paths.ts';
import { dependencyDir } from '../src/data/layout.ts';

const profile = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : 'default';
const config = loadConfig({ profile });
const SLICE = 10_000;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-bench-kg-'));
const server = await startNeo4j(config, {
  detached: false,
  dataDir: path.join(scratch, 'neo4j'),
  logFile: path.join(scratch, 'neo4j.log'),
});
const driver = openDriver(server.connection);
const rows: Row[] = [];
const rate = (n: number, s: number) => Math.round(n / s);

try {
  const { batch } = loadKnowledge(config.facts);
  await ensureSchema(driver);
  const entities = await loadEntities(driver, batch.entities, config.facts.loadBatchSize);
  rows.push({
    step: 'entities, batched UNWIND MERGE',
    rows: entities.written,
    seconds: entities.seconds.toFixed(2),
    perSecond: rate(entities.written, entities.seconds),
  });
  const writers = config.facts.loadWriters;
  const deleteFacts = () => deleteRelationships(driver, 'MATCH (:Entity)-[f]->()');

  // The same slice both ways, one writer each; the facts are deleted in between.
  const slice = batch.triples.filter((t) => t.subject !== t.object).slice(0, SLICE);
  const batched = await loadTriples(driver, slice, config.facts.loadBatchSize);
  await deleteFacts();
  const single = await loadTriples(driver, slice, 1);
  await deleteFacts();
  rows.push({
    step: `${SLICE} facts, batched UNWIND`,
    rows: batched.written,
    seconds: batched.seconds.toFixed(2),
    perSecond: rate(batched.written, batched.seconds),
  });
  rows.push({
    step: `${SLICE} facts, one statement per fact`,
    rows: single.written,
    seconds: single.seconds.toFixed(2),
    perSecond: rate(single.written, single.seconds),
  });

  const oneWriter = await loadTriples(driver, batch.triples, config.facts.loadBatchSize);
  rows.push({
    step: 'whole offline KG, batched UNWIND, 1 writer',
    rows: oneWriter.written,
    seconds: oneWriter.seconds.toFixed(2),
    perSecond: rate(oneWriter.written, oneWriter.seconds),
  });
  await deleteFacts();
  const all = await loadTriples(driver, batch.triples, config.facts.loadBatchSize, { writers });
  rows.push({
    step: `whole offline KG, batched UNWIND, ${writers} writers`,
    rows: all.written,
    seconds: all.seconds.toFixed(2),
    perSecond: rate(all.written, all.seconds),
  });
  const again = await loadTriples(driver, batch.triples, config.facts.loadBatchSize, { writers });
  rows.push({
    step: `the same again (${again.created} created)`,
    rows: again.written,
    seconds: again.seconds.toFixed(2),
    perSecond: rate(again.written, again.seconds),
  });

  let t0 = performance.now();
  const { index, lookup } = await readIndexes(driver);
  const extractS = (performance.now() - t0) / 1000;
  rows.push({
    step: 'extraction (paged) into the alias index',
    rows: lookup.size,
    seconds: extractS.toFixed(2),
    perSecond: rate(lookup.size, extractS),
  });

  const dep = readManifest(dependencyDir(config));
  if (dep?.complete) {
    t0 = performance.now();
    let sentences = 0;
    let positives = 0;
    for (const o of dep.outputs.filter((o) => o.file.endsWith('.jsonl'))) {
      for await (const ex of readJsonl(path.join(dependencyDir(config), o.file), DependencyExample)) {
        sentences++;
        positives += alignMentions(index.match(ex.tokens, ex.pos), lookup).positives.length;
      }
    }
    const alignS = (performance.now() - t0) / 1000;
    rows.push({
      step: `alignment over ${profile} sentences (${positives} facts found)`,
      rows: sentences,
      seconds: alignS.toFixed(2),
      perSecond: rate(sentences, alignS),
    });
  } else {
    rows.push({
      step: `alignment: no parsed sentences for profile ${profile} (run build-data --part dependency)`,
      rows: 0,
      seconds: '-',
      perSecond: '-',
    });
  }

  console.log(formatTable(rows));
  const ratio = batched.written / batched.seconds / (single.written / single.seconds);
  console.log(
    `\nbatched / one statement per fact: ${ratio.toFixed(1)}×; whole KG batched: ${rate(all.written, all.seconds)} facts/s with ${writers} writers (target ≥ 50,000)`,
  );
  console.log(
    `Neo4j resident memory: ${Math.round(server.process.residentMiB() ?? 0)} MiB; Node peak: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
  );
  const out = path.join(repoRoot, 'reports', 'bench', 'kg.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), profile, rows, ratio, cpus: os.cpus().length }, null, 2)}\n`,
  );
  console.log(`written ${path.relative(repoRoot, out)}`);
} finally {
  await driver.close();
  await server.process.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}
