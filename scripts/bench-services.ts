// npm run bench:services — cold start time and resident memory of the embedded services.
// Each service is started several times from a cold JVM: Neo4j once on a new home (store
// creation) and then on the existing one; memory is read after the health check and again after
// a small workload. Prints a table and writes reports/bench/services.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { startCoreNlp } from '../src/parsing/corenlp-service.ts';
import { CoreNlpClient } from '../src/parsing/corenlp-client.ts';
import { startNeo4j } from '../src/facts/neo4j-service.ts';
import { openDriver } from '../src/facts/neo4j-client.ts';
import { formatTable, type Row } from '../src/util/table.ts';
import { repoRoot } from '../src/util/paths.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const profile = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : 'default';
const config = loadConfig({ profile });
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-bench-'));

const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'Paris is the capital and most populous city of France.',
  'In 1851, Herman Melville published a long novel about a whale.',
  'The committee, which met on Tuesday, rejected the proposal that the budget be cut.',
  'Water boils at one hundred degrees Celsius at sea level.',
];

const rows: Row[] = [];
const seconds = (ms: number) => Number((ms / 1000).toFixed(2));
const mib = (v: number | null) => (v === null ? '-' : Math.round(v));

for (let run = 1; run <= RUNS; run++) {
  const cn = await startCoreNlp(config, { detached: false, logFile: path.join(scratch, 'corenlp.log') });
  const rssReady = cn.process.residentMiB();
  const client = new CoreNlpClient(cn.url, { timeoutMs: 120_000 });
  const t0 = performance.now();
  const batch = Array.from({ length: 40 }, (_, i) => SENTENCES[i % SENTENCES.length]).join('\n');
  await client.annotate(batch, config.services.corenlp.annotators.split(','), { 'ssplit.eolonly': true });
  const parseMs = performance.now() - t0;
  rows.push({
    service: 'corenlp',
    start: 'cold JVM',
    run,
    coldStartS: seconds(cn.coldStartMs),
    rssReadyMiB: mib(rssReady),
    workload: '40 sentences',
    workS: seconds(parseMs),
    rssAfterWorkMiB: mib(cn.process.residentMiB()),
  });
  await cn.process.stop();
}

const home = path.join(scratch, 'neo4j');
for (let run = 1; run <= RUNS; run++) {
  const n4 = await startNeo4j(config, { detached: false, dataDir: home, logFile: path.join(scratch, 'neo4j.log') });
  const rssReady = n4.process.residentMiB();
  const driver = openDriver(n4.connection);
  await driver.executeQuery('CREATE CONSTRAINT bench_id IF NOT EXISTS FOR (n:BenchNode) REQUIRE n.id IS UNIQUE');
  const t0 = performance.now();
  const rowsToWrite = Array.from({ length: 10_000 }, (_, i) => ({ id: `bench-${run}-${i}` }));
  await driver.executeQuery('UNWIND $rows AS r MERGE (:BenchNode {id: r.id})', { rows: rowsToWrite });
  const writeMs = performance.now() - t0;
  await driver.close();
  rows.push({
    service: 'neo4j',
    start: run === 1 ? 'cold JVM, new home' : 'cold JVM, existing home',
    run,
    coldStartS: seconds(n4.coldStartMs),
    rssReadyMiB: mib(rssReady),
    workload: '10k MERGE',
    workS: seconds(writeMs),
    rssAfterWorkMiB: mib(n4.process.residentMiB()),
  });
  await n4.process.stop();
}
fs.rmSync(scratch, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary = (['corenlp', 'neo4j'] as const).map((service) => {
  const mine = rows.filter((r) => r.service === service);
  return {
    service,
    medianColdStartS: median(mine.map((r) => Number(r.coldStartS))),
    maxRssAfterWorkMiB: Math.max(...mine.map((r) => Number(r.rssAfterWorkMiB) || 0)),
    heapLimitMiB: service === 'corenlp' ? config.services.corenlp.heapMb : config.services.neo4j.heapMb,
  };
});

console.log(formatTable(rows));
console.log();
console.log(formatTable(summary));
const out = path.join(repoRoot, 'reports', 'bench', 'services.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      profile: config.profile,
      cpus: os.cpus().length,
      node: process.version,
      runs: rows,
      summary,
    },
    null,
    2,
  )}\n`,
);
console.log(`\nwritten ${path.relative(repoRoot, out)}`);
