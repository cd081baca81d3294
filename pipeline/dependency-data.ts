// Recipe: the linguistic half of build-data.
//   inputs   the profile's sentence sources (+ --input files), the data parameters
//   steps    1 plan   — collect, normalise, deduplicate, split and sample sentences (CoreNLP ssplit;
//                       src/parsing/plan-file.ts), kept for a resumed build
//            2 parse  — shard by shard through the CoreNLP pool; a finished shard is never redone
//            3 export — the official K-Adapter find_head files (src/parsing/find-head.ts)
//   outputs  datasets/build/<profile>/dependency/{train,dev,test}-NNNNN.jsonl, find_head/, manifest.json
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import { PlannedSentence, SPLITS, type Split } from '../src/data/schemas.ts';
import { dependencyDir } from '../src/data/layout.ts';
import { profilePool } from '../src/parsing/corenlp-pool.ts';
import { exportFindHeadFiles } from '../src/parsing/find-head.ts';
import { parseShard } from '../src/parsing/parse-shard.ts';
import { hasPlanFor, PLAN_FILE, readOrMakePlan } from '../src/parsing/plan-file.ts';
import { inputFiles } from '../src/parsing/sources/input-files.ts';
import { sentenceSources, sourceInputs } from '../src/parsing/sources/index.ts';
import { withServices } from '../src/services/session.ts';
import './service-definitions.ts';
import { readJsonl } from '../src/util/jsonl.ts';
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
  const inputs = { sources: sourceInputs(sources) };
  const parameters = { ...config.data, annotators: config.services.corenlp.annotators };
  const parseHash = hashOf({ inputs, parameters });
  const inputsHash = hashOf({ parseHash, findHeadFormat: FIND_HEAD_FORMAT });

  if (!opts.force && isUpToDate(target, inputsHash, log)) {
    log(`dependency data: up to date (${path.relative(process.cwd(), target)}), nothing to do; --force rebuilds`);
    return readManifest(target)!;
  }
  const resumable = (d: string) => !opts.force && hasPlanFor(d, parseHash);
  const { dir, fresh } = resumableBuildDir(target, resumable);
  const startedAt = new Date();

  return withServices(config, ['corenlp'], async (session) => {
    openBuildDir(dir, fresh, 'dependency data', log);
    const corenlp = session.get('corenlp');
    const annotators = config.services.corenlp.annotators.split(',');
    const pool = profilePool(config, corenlp.address);

    // 1. plan
    const meta = await readOrMakePlan(dir, { sources, pool, data: config.data, parseHash, log });
    const planFile = path.join(dir, PLAN_FILE);

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
    const findHead = await exportFindHeadFiles(dir, shardOutputs);

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
