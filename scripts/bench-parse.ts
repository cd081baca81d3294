// npm run bench:parse — the pipeline's parse step against CoreNLP's own batch command line on the
// same fixed sample (default 10k sentences from nlp-corpus and WordNet), same annotators, same
// thread count. Prints both rates and their ratio, checks that every stored head and relation
// equals CoreNLP's CoNLL-U, writes reports/bench/parse.json.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { SPLITS } from '../src/data/schemas.ts';
import { collectSentences } from '../src/parsing/collect.ts';
import { CoreNlpPool } from '../src/parsing/corenlp-pool.ts';
import { parseShard } from '../src/parsing/parse-shard.ts';
import { sentenceSources } from '../src/parsing/sources/index.ts';
import { startCoreNlp } from '../src/parsing/corenlp-service.ts';
import { ensureServiceJars } from '../src/services/provision.ts';
import { requireJava } from '../src/services/java.ts';
import { residentMiB } from '../src/services/process.ts';
import { formatTable } from '../src/util/table.ts';
import { repoRoot } from '../src/util/paths.ts';
import type { DependencyExample } from '../src/data/schemas.ts';

const N = Number(process.env.BENCH_SENTENCES ?? 10_000);
const config = loadConfig({ profile: 'default' });
const cn = config.services.corenlp;
const threads = cn.threads;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-bench-parse-'));
const peakOf = (pid: number) => {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
};

// The fixed sample: sentence sources only, so neither side needs a sentence splitter first.
const server = await startCoreNlp(config, { detached: false, logFile: path.join(scratch, 'server.log') });
const pool = new CoreNlpPool([server.url], {
  concurrencyPerServer: config.data.concurrencyPerServer,
  timeoutMs: cn.requestTimeoutMs,
  unreachableBudgetMs: 60_000,
});
const { planned } = await collectSentences(sentenceSources(['nlp-corpus', 'wordnet']), pool, {
  target: N,
  bounds: { minWords: config.data.minWords, maxWords: config.data.maxWords, maxChars: config.data.maxChars },
});
console.log(`sample: ${planned.length} sentences, ${threads} CoreNLP threads`);

// 1. The pipeline: shards through the pool against the running server.
let serverPeak = 0;
const watch = setInterval(() => (serverPeak = Math.max(serverPeak, peakOf(server.process.pid))), 500);
const t0 = performance.now();
const examples: DependencyExample[] = [];
const skipped: Record<string, number> = {};
for (let k = 0; k < planned.length; k += config.data.shardSize) {
  const r = await parseShard(planned.slice(k, k + config.data.shardSize), pool, {
    annotators: cn.annotators.split(','),
    batchSize: config.data.batchSize,
  });
  for (const split of SPLITS) for (const ex of r.examples[split]) examples.push(ex);
  for (const [why, n] of Object.entries(r.skipped)) skipped[why] = (skipped[why] ?? 0) + n;
}
const pipelineSeconds = (performance.now() - t0) / 1000;
clearInterval(watch);
serverPeak = Math.max(serverPeak, peakOf(server.process.pid));
await server.process.stop();

// 2. CoreNLP's batch command line on the same sentences, one a line.
const inputFile = path.join(scratch, 'sample.txt');
fs.writeFileSync(inputFile, `${planned.map((s) => s.text).join('\n')}\n`);
const { java } = requireJava();
const jars = ensureServiceJars('corenlp', config.paths.cacheDir);
const cliStart = performance.now();
const cli = spawn(
  java,
  [
    `-Xmx${cn.heapMb}m`,
    '-cp',
    path.join(jars, '*'),
    'edu.stanford.nlp.pipeline.StanfordCoreNLP',
    '-annotators',
    cn.annotators,
    '-ssplit.eolonly',
    'true',
    '-threads',
    String(threads),
    '-outputFormat',
    'conllu',
    '-file',
    inputFile,
    '-outputDirectory',
    scratch,
  ],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
let cliLog = '';
cli.stdout.on('data', (d: Buffer) => (cliLog += d.toString()));
cli.stderr.on('data', (d: Buffer) => (cliLog += d.toString()));
let cliPeak = 0;
const cliWatch = setInterval(() => (cliPeak = Math.max(cliPeak, peakOf(cli.pid!))), 500);
const code = await new Promise<number | null>((r) => cli.once('exit', r));
clearInterval(cliWatch);
const cliWallSeconds = (performance.now() - cliStart) / 1000;
if (code !== 0) throw new Error(`CoreNLP command line failed (${code}):\n${cliLog.slice(-2000)}`);
// "TOTAL: 81.2 sec. for 250000 tokens at …": the annotation time without JVM start and model loading.
const total = /TOTAL: ([\d.]+) sec/.exec(cliLog);
const cliAnnotateSeconds = total ? Number(total[1]) : cliWallSeconds;

// 3. Agreement: heads and relations of every sentence.
const conllu = fs
  .readFileSync(path.join(scratch, 'sample.txt.conllu'), 'utf8')
  .trim()
  .split(/\n\s*\n/);
const byText = new Map(examples.map((e) => [e.text, e]));
let compared = 0;
let agree = 0;
const disagreements: string[] = [];
planned.forEach((s, i) => {
  const ex = byText.get(s.text);
  const block = conllu[i];
  if (!ex || !block) return;
  const rows = block
    .split('\n')
    .filter((l) => /^\d+\t/.test(l))
    .map((l) => l.split('\t'));
  compared++;
  const same =
    rows.length === ex.tokens.length &&
    rows.every((r, j) => Number(r[6]) === ex.heads[j] && r[7]!.toLowerCase() === ex.deprels[j]!.toLowerCase());
  if (same) agree++;
  else if (disagreements.length < 5) disagreements.push(s.text);
});

const pipelineRate = examples.length / pipelineSeconds;
const cliRate = planned.length / cliAnnotateSeconds;
const rows = [
  {
    side: 'kadapter pipeline (server, pool, shards)',
    sentences: examples.length,
    seconds: pipelineSeconds.toFixed(1),
    sentencesPerS: pipelineRate.toFixed(1),
    peakRssMiB: `${Math.round(serverPeak)} (server) + ${Math.round(process.resourceUsage().maxRSS / 1024)} (node)`,
  },
  {
    side: 'CoreNLP command line, annotation time',
    sentences: planned.length,
    seconds: cliAnnotateSeconds.toFixed(1),
    sentencesPerS: cliRate.toFixed(1),
    peakRssMiB: String(Math.round(cliPeak)),
  },
  {
    side: 'CoreNLP command line, wall (with model load)',
    sentences: planned.length,
    seconds: cliWallSeconds.toFixed(1),
    sentencesPerS: (planned.length / cliWallSeconds).toFixed(1),
    peakRssMiB: String(Math.round(cliPeak)),
  },
];
console.log(formatTable(rows));
console.log(
  `\nratio pipeline / command line (annotation time): ${(pipelineRate / cliRate).toFixed(2)}×   (target ≥ 0.90)`,
);
console.log(
  `agreement on heads and relations: ${agree}/${compared} sentences (${((100 * agree) / Math.max(compared, 1)).toFixed(2)}%)`,
);
if (Object.keys(skipped).length > 0) console.log(`pipeline skipped: ${JSON.stringify(skipped)}`);
for (const d of disagreements) console.log(`  differs: ${d}`);

const out = path.join(repoRoot, 'reports', 'bench', 'parse.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      sentences: planned.length,
      threads,
      cpus: os.cpus().length,
      rows,
      ratio: pipelineRate / cliRate,
      agreement: { compared, agree },
      skipped,
      residentMiBAfter: residentMiB(process.pid),
    },
    null,
    2,
  )}\n`,
);
fs.rmSync(scratch, { recursive: true, force: true });
console.log(`written ${path.relative(repoRoot, out)}`);
