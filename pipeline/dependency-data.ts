// Recipe: the linguistic half of build-data.
//   inputs   the profile's sentence sources (+ --input files), the data parameters
//   steps    1 plan   — collect, normalise, deduplicate, split and sample sentences (CoreNLP ssplit)
//            2 parse  — shard by shard through the CoreNLP pool; a finished shard is never redone
//            3 export — the official K-Adapter find_head files
//   outputs  datasets/build/<profile>/dependency/{train,dev,test}-NNNNN.jsonl, find_head/, manifest.json
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import { PlanMeta } from '../src/data/files.ts';
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
import { readJsonl, sha256File, writeFileAtomic, writeJsonlAtomic, type WrittenFile } from '../src/util/jsonl.ts';
import { runShards, shardName, skippedOf } from '../src/util/shards.ts';
import {
  completeManifest,
  hashOf,
  isUpToDate,
  readManifest,
  writeManifest,
  type Manifest,
} from '../src/util/manifest.ts';
import { progress } from '../src/util/progress.ts';
import { openBuildDir, recoverReplace, replaceDir, resumableBuildDir } from '../src/util/replace-dir.ts';

export interface DependencyDataOptions {
  force: boolean;
  inputs: string[];
}

const log = (line: string) => process.stderr.write(`${line}\n`);

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
  const resumable = (d: string) =>
    !opts.force && readJsonFileIfExists(path.join(d, 'plan.meta.json'), PlanMeta)?.inputsHash === parseHash;
  const { dir, fresh } = resumableBuildDir(target, resumable);
  const planMetaFile = path.join(dir, 'plan.meta.json');
  const startedAt = new Date();

  return withServices(config, ['corenlp'], async (session) => {
    openBuildDir(dir, fresh, 'dependency data', log);
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
    const perSource: Record<string, Record<Split, number>> = {};
    const bar = progress('parse', meta.sentences, 'sentences');
    async function* planned(): AsyncIterable<PlannedSentence> {
      for await (const s of readJsonl(planFile, PlannedSentence)) {
        (perSource[s.source] ??= { train: 0, dev: 0, test: 0 })[s.split]++;
        yield s;
      }
    }
    const {
      done,
      items: plannedCount,
      itemsRunNow: parsedNow,
    } = await runShards(planned(), {
      dir,
      inputsHash: parseHash,
      shardSize: config.data.shardSize,
      what: 'dependency data',
      log,
      onShard: (n) => bar.update(n),
      work: async (slice, k) => {
        const result = await parseShard(slice, pool, { annotators, batchSize: config.data.batchSize });
        return {
          outputs: SPLITS.filter((split) => result.examples[split].length > 0).map((split) => ({
            file: `${split}-${shardName(k)}.jsonl`,
            rows: result.examples[split],
          })),
          skipped: result.skipped,
        };
      },
    });
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
    const parseSkipped = skippedOf(done);
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
