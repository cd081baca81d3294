// Recipe: the linguistic half of build-data.
//   inputs   the profile's sentence sources (+ --input files), the data parameters
//   steps    1 plan   — collect, normalise, deduplicate, split and sample sentences (CoreNLP ssplit)
//            2 parse  — shard by shard through the CoreNLP pool; a finished shard is never redone
//            3 export — the official K-Adapter find_head files
//   outputs  datasets/build/<profile>/dependency/{train,dev,test}-NNNNN.jsonl, find_head/, manifest.json
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import { PlanMeta, ShardDone } from '../src/data/files.ts';
import { PlannedSentence, SPLITS, type Split } from '../src/data/schemas.ts';
import { dependencyDir, dependencySplitFiles } from '../src/data/layout.ts';
import { collectSentences } from '../src/parsing/collect.ts';
import { CoreNlpPool } from '../src/parsing/corenlp-pool.ts';
import { exportFindHead } from '../src/parsing/find-head.ts';
import { parseShard } from '../src/parsing/parse-shard.ts';
import { inputFiles } from '../src/parsing/sources/input-files.ts';
import { loadRegistry, sentenceSources } from '../src/parsing/sources/index.ts';
import { withServices } from '../src/services/session.ts';
import './service-definitions.ts';
import { readJsonFileIfExists } from '../src/util/json-file.ts';
import {
  readJsonl,
  removeStaleTemps,
  sha256File,
  writeFileAtomic,
  writeJsonlAtomic,
  type WrittenFile,
} from '../src/util/jsonl.ts';
import {
  completeManifest,
  hashOf,
  isUpToDate,
  outputMismatch,
  readManifest,
  writeManifest,
  type Manifest,
} from '../src/util/manifest.ts';
import { progress } from '../src/util/progress.ts';
import { besideDir, recoverReplace, replaceDir } from '../src/util/replace-dir.ts';

export interface DependencyDataOptions {
  force: boolean;
  inputs: string[];
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const shardName = (k: number) => String(k).padStart(5, '0');

/**
 * The version of the find_head export. It is in the stage's inputs hash but not in the hash the plan
 * and the shards are kept by, so that a newer export redoes the export alone, not the parse:
 * 2 = token spans count code points (SPEC §5), no longer UTF-16 code units.
 */
const FIND_HEAD_FORMAT = 2;

export async function buildDependencyData(config: Config, opts: DependencyDataOptions): Promise<Manifest> {
  const target = dependencyDir(config);
  const recovered = recoverReplace(target);
  if (recovered) log(`dependency data: ${recovered}`);
  const sources = [
    ...sentenceSources(config.data.sources),
    ...(opts.inputs.length > 0 ? [inputFiles(opts.inputs)] : []),
  ];
  // The registry entries of the sources used (package, licence) are inputs; other entries are not.
  const registry = loadRegistry();
  const inputs = {
    sources: sources.map((s) => ({
      id: s.id,
      version: s.version(),
      registry: registry.find((e) => e.id === s.id) ?? null,
    })),
  };
  const parameters = { ...config.data, annotators: config.services.corenlp.annotators };
  const parseHash = hashOf({ inputs, parameters });
  const inputsHash = hashOf({ parseHash, findHeadFormat: FIND_HEAD_FORMAT });

  if (!opts.force && isUpToDate(target, inputsHash, log)) {
    log(`dependency data: up to date (${path.relative(process.cwd(), target)}), nothing to do; --force rebuilds`);
    return readManifest(target)!;
  }
  // Where to build: resume a build of the same inputs (in place, or a rebuild beside it); else a
  // fresh build, beside the existing folder, which stays untouched until the new one is complete.
  const resumable = (d: string) =>
    !opts.force && readJsonFileIfExists(path.join(d, 'plan.meta.json'), PlanMeta)?.inputsHash === parseHash;
  const beside = besideDir(target);
  const dir = resumable(target) ? target : resumable(beside) ? beside : fs.existsSync(target) ? beside : target;
  const planMetaFile = path.join(dir, 'plan.meta.json');
  const fresh = !resumable(dir);
  const startedAt = new Date();

  return withServices(config, ['corenlp'], async (session) => {
    // The services answer: only now is anything removed, and only a leftover of an earlier rebuild.
    if (fresh) fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    // A run killed or failed while writing leaves temp files: a resumed run starts clean.
    const stale = removeStaleTemps(dir);
    if (stale > 0) log(`dependency data: removed ${stale} temp file(s) left by an earlier run`);
    const corenlp = session.get('corenlp');
    const annotators = config.services.corenlp.annotators.split(',');
    const pool = new CoreNlpPool(corenlp.address, {
      concurrencyPerServer: config.data.concurrencyPerServer,
      timeoutMs: config.services.corenlp.requestTimeoutMs,
      unreachableBudgetMs: config.data.unreachableBudgetS * 1000,
    });

    // 1. plan
    const planFile = path.join(dir, 'plan.jsonl');
    let meta = readJsonFileIfExists(planMetaFile, PlanMeta);
    if (!meta || !fs.existsSync(planFile)) {
      const t0 = performance.now();
      const bar = progress('collect', 0, 'records');
      const { planned, counts } = await collectSentences(sources, pool, {
        target: config.data.sentences,
        bounds: { minWords: config.data.minWords, maxWords: config.data.maxWords, maxChars: config.data.maxChars },
        onProgress: (n) => bar.update(n),
      });
      bar.stop();
      writeJsonlAtomic(planFile, planned);
      meta = { inputsHash: parseHash, sentences: planned.length, counts, seconds: (performance.now() - t0) / 1000 };
      writeFileAtomic(planMetaFile, `${JSON.stringify(meta, null, 2)}\n`);
      log(`plan: ${planned.length} sentences chosen in ${meta.seconds.toFixed(0)} s`);
      if (planned.length < config.data.sentences) {
        log(`plan: the sources hold only ${planned.length} usable sentences of the ${config.data.sentences} asked for`);
      }
    }

    // 2. parse, shard by shard, streaming the plan from disk
    const parseStarted = performance.now();
    let parsedNow = 0;
    let plannedCount = 0;
    const perSource: Record<string, Record<Split, number>> = {};
    const bar = progress('parse', meta.sentences, 'sentences');
    const done: ShardDone[] = [];
    const runShard = async (k: number, slice: PlannedSentence[]) => {
      const doneFile = path.join(dir, 'shards', `${shardName(k)}.done.json`);
      const previous = readJsonFileIfExists(doneFile, ShardDone);
      if (previous?.inputsHash === parseHash) {
        // A finished shard is kept only if its files are exactly as its marker records them; the
        // manifest then takes them as they are.
        const actual: WrittenFile[] = [];
        const mismatch = previous.outputs
          .map((o) => outputMismatch(dir, o, (f) => actual.push(f)))
          .find((m) => m !== null);
        if (mismatch === undefined) {
          done.push({ ...previous, outputs: actual });
          return;
        }
        log(`dependency data: shard ${shardName(k)} does not match its marker (${mismatch}), parsing it again`);
        fs.rmSync(doneFile);
        for (const o of previous.outputs) fs.rmSync(path.join(dir, o.file), { force: true });
      }
      const t0 = performance.now();
      const result = await parseShard(slice, pool, { annotators, batchSize: config.data.batchSize });
      const outputs: WrittenFile[] = [];
      for (const split of SPLITS) {
        const rows = result.examples[split];
        if (rows.length === 0) continue;
        const file = `${split}-${shardName(k)}.jsonl`;
        outputs.push({ ...writeJsonlAtomic(path.join(dir, file), rows), file });
      }
      const record: ShardDone = {
        inputsHash: parseHash,
        outputs,
        skipped: result.skipped,
        seconds: (performance.now() - t0) / 1000,
      };
      writeFileAtomic(doneFile, `${JSON.stringify(record, null, 2)}\n`);
      done.push(record);
      parsedNow += slice.length;
    };
    let slice: PlannedSentence[] = [];
    for await (const s of readJsonl(planFile, PlannedSentence)) {
      (perSource[s.source] ??= { train: 0, dev: 0, test: 0 })[s.split]++;
      slice.push(s);
      plannedCount++;
      if (slice.length === config.data.shardSize) {
        await runShard(done.length, slice);
        slice = [];
        bar.update(plannedCount);
      }
    }
    if (slice.length > 0) await runShard(done.length, slice);
    bar.update(plannedCount);
    bar.stop();
    const parseSeconds = (performance.now() - parseStarted) / 1000;

    // 3. export to the official format
    const shardOutputs = done.flatMap((d) => d.outputs);
    const findHead: WrittenFile[] = [];
    for (const split of SPLITS) {
      const files = shardOutputs.filter((o) => o.file.startsWith(`${split}-`)).map((o) => path.join(dir, o.file));
      const { file, examples } = await exportFindHead(files, path.join(dir, 'find_head'), split);
      findHead.push({
        file: path.relative(dir, file),
        lines: examples,
        bytes: fs.statSync(file).size,
        sha256: sha256File(file),
      });
    }

    // 4. manifest
    const examples: Record<Split, number> = { train: 0, dev: 0, test: 0 };
    for (const o of shardOutputs) examples[o.file.split('-')[0] as Split] += o.lines;
    const parseSkipped: Record<string, number> = {};
    for (const d of done) for (const [r, n] of Object.entries(d.skipped)) parseSkipped[r] = (parseSkipped[r] ?? 0) + n;
    const manifest = completeManifest('build-data/dependency', config.profile, startedAt, {
      inputsHash,
      inputs,
      parameters,
      counts: {
        examples,
        planned: plannedCount,
        plannedPerSourceAndSplit: perSource,
        collected: meta.counts,
        pool: pool.stats,
      },
      skipped: {
        collect: Object.fromEntries(Object.entries(meta.counts).map(([s, c]) => [s, c.skipped])),
        parse: parseSkipped,
      },
      outputs: [...shardOutputs, ...findHead],
      timings: {
        planSeconds: meta.seconds,
        parseSecondsThisRun: parseSeconds,
        sentencesParsedThisRun: parsedNow,
        sentencesPerSecondThisRun: parsedNow / Math.max(parseSeconds, 1e-9),
        wallSecondsThisRun: (Date.now() - startedAt.getTime()) / 1000,
      },
      tools: {
        corenlp: {
          version: corenlp.version,
          origin: corenlp.origin,
          servers: corenlp.address.length,
          annotators: config.services.corenlp.annotators,
        },
      },
    });
    writeManifest(dir, manifest);
    if (dir !== target) replaceDir(dir, target);
    log(
      `dependency data: ${examples.train} train, ${examples.dev} dev, ${examples.test} test examples in ${path.relative(process.cwd(), target)}`,
    );
    return manifest;
  });
}
