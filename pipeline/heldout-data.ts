// Recipe: the held-out part of build-data — downstream sets that the knowledge graph did not make.
//   inputs   the parsed sentences of the dependency part (as built); the heldout parameters
//   steps    1 plan     — a seeded sample of each dependency split's sentences; dev and test come
//                         from the dependency dev and test splits, never read in pre-training
//            2 annotate — CoreNLP ner + kbp, shard by shard; a finished shard is never redone
//            3 rows     — NER classes → OpenEntity types, KBP relations → TACRED's, a seeded sample
//                         of no_relation pairs; everything left out counted by reason
//                         (src/parsing/heldout/sets.ts; written and counted by set-files.ts)
//   outputs  datasets/build/<profile>/heldout/{ner_typing,kbp_relation}/{train,dev,test}.jsonl,
//            annotated/NNNNN.jsonl (the annotation the rows are made from), manifest.json
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import { dependencyDir, dependencySplitFiles, heldoutDir } from '../src/data/layout.ts';
import { NerKbpSentence, SPLITS } from '../src/data/schemas.ts';
import { profilePool } from '../src/parsing/corenlp-pool.ts';
import { HEALTH_SENTENCE } from '../src/parsing/corenlp-service.ts';
import { annotateShard } from '../src/parsing/parse-shard.ts';
import { NER_KBP_ANNOTATORS, NER_KBP_PROPERTIES, toNerKbpSentence } from '../src/parsing/heldout/annotate.ts';
import { NER_TO_OPENENTITY } from '../src/parsing/heldout/ner-types.ts';
import { planHeldout } from '../src/parsing/heldout/plan.ts';
import { heldoutSets } from '../src/parsing/heldout/sets.ts';
import { heldoutCounts, heldoutSkipped, writeHeldoutSets } from '../src/parsing/heldout/set-files.ts';
import { KBP_TO_TACRED } from '../src/parsing/heldout/tacred.ts';
import { withServices } from '../src/services/session.ts';
import './service-definitions.ts';
import { readJsonl, type WrittenFile } from '../src/util/jsonl.ts';
import {
  completeManifest,
  hashOf,
  isUpToDate,
  readManifest,
  requireParsedSentences,
  writeManifest,
  type Manifest,
} from '../src/util/manifest.ts';
import { progress } from '../src/util/progress.ts';
import { openBuildDir, recoverReplace, replaceDir, resumableBuildDir } from '../src/util/replace-dir.ts';
import { hasShardsOf, runShards, shardName, skippedOf } from '../src/util/shards.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The version of the code that makes rows from the annotation. It is in the stage's inputs hash (as
 * are the mapping tables) but not in the hash the annotated shards are kept by, so that a change of
 * either remakes the rows alone, not the annotation.
 */
const ROWS_FORMAT = 1;

/** The version of what the annotated shards hold (NerKbpSentence): a newer one annotates again. */
const ANNOTATION_FORMAT = 1;

export async function buildHeldoutData(config: Config, opts: { force: boolean }): Promise<Manifest> {
  const target = heldoutDir(config);
  const recovered = recoverReplace(target);
  if (recovered) log(`heldout data: ${recovered}`);
  const { sentencesHash } = requireParsedSentences(dependencyDir(config), 'the held-out sets', log);
  const { noRelationRatio, ...annotation } = config.heldout;
  const inputs = {
    sentences: sentencesHash,
    annotators: NER_KBP_ANNOTATORS.join(','),
    properties: NER_KBP_PROPERTIES,
    annotationFormat: ANNOTATION_FORMAT,
    rowsFormat: ROWS_FORMAT,
    /** The tables themselves: a change of one remakes the rows. */
    tables: { nerToOpenEntity: NER_TO_OPENENTITY, kbpToTacred: KBP_TO_TACRED },
  };
  // What only the rows depend on is left out (JSON drops an undefined field).
  const annotateHash = hashOf({ ...inputs, rowsFormat: undefined, tables: undefined, annotation });
  const inputsHash = hashOf({ annotateHash, inputs, noRelationRatio });
  if (!opts.force && isUpToDate(target, inputsHash, log)) {
    log(`heldout data: up to date (${path.relative(process.cwd(), target)}), nothing to do; --force rebuilds`);
    return readManifest(target)!;
  }
  const resumable = (d: string) => !opts.force && hasShardsOf(d, annotateHash);
  const { dir, fresh } = resumableBuildDir(target, resumable);
  const startedAt = new Date();
  const timings: Record<string, number> = {};
  const t = () => performance.now();

  return withServices(config, ['corenlp'], async (session) => {
    openBuildDir(dir, fresh, 'heldout data', log);
    const corenlp = session.get('corenlp');
    const pool = profilePool(config, corenlp.address);
    const mode = { annotators: NER_KBP_ANNOTATORS, properties: NER_KBP_PROPERTIES };

    // 1. plan
    let t0 = t();
    const plan = await planHeldout(
      (split) => dependencySplitFiles(config, split),
      config.heldout.maxSentences,
      config.heldout.sampleSeed,
    );
    timings.planSeconds = (t() - t0) / 1000;

    // 2. annotate. The server loads the NER and KBP models on the first request that asks for them:
    // one sentence first, so that the shards' requests do not all wait on the loading (timed apart).
    let warm: Promise<void> | null = null;
    const warmUp = () =>
      (warm ??= (async () => {
        const w0 = t();
        await pool.annotateLines([HEALTH_SENTENCE], mode);
        timings.modelLoadSecondsThisRun = (t() - w0) / 1000;
      })());
    t0 = t();
    const bar = progress('annotate', plan.sentences.length, 'sentences');
    const { done, itemsRunNow } = await runShards(plan.sentences, {
      dir,
      inputsHash: annotateHash,
      shardSize: config.heldout.shardSize,
      what: 'heldout data',
      log,
      onShard: (n) => bar.update(n),
      work: async (slice, k) => {
        await warmUp();
        const result = await annotateShard(
          slice,
          pool,
          { ...mode, batchSize: config.heldout.batchSize },
          toNerKbpSentence,
        );
        const rows = SPLITS.flatMap((split) => result.rows[split]);
        return { outputs: [{ file: `annotated/${shardName(k)}.jsonl`, rows }], skipped: result.skipped };
      },
    });
    bar.stop();
    const annotateSeconds = (t() - t0) / 1000 - (timings.modelLoadSecondsThisRun ?? 0);
    timings.annotateSecondsThisRun = annotateSeconds;
    timings.sentencesAnnotatedThisRun = itemsRunNow;
    timings.sentencesPerSecondThisRun = itemsRunNow / Math.max(annotateSeconds, 1e-9);

    // 3. rows
    t0 = t();
    const annotated = done.flatMap((d) => d.outputs);
    async function* sentences(): AsyncIterable<NerKbpSentence> {
      for (const o of annotated) yield* readJsonl(path.join(dir, o.file), NerKbpSentence);
    }
    const sets = await heldoutSets(sentences(), { noRelationRatio, seed: config.heldout.sampleSeed });
    const outputs: WrittenFile[] = [...annotated, ...writeHeldoutSets(dir, sets)];
    timings.rowsSeconds = (t() - t0) / 1000;
    timings.wallSecondsThisRun = (Date.now() - startedAt.getTime()) / 1000;

    const manifest = completeManifest('build-data/heldout', config.profile, startedAt, {
      inputsHash,
      inputs,
      parameters: { ...config.heldout, concurrencyPerServer: config.data.concurrencyPerServer },
      counts: { ...heldoutCounts(plan, sets), pool: pool.stats },
      skipped: { sentences: skippedOf(done), ...heldoutSkipped(sets) },
      outputs,
      timings,
      tools: {
        corenlp: {
          version: corenlp.version,
          origin: corenlp.origin,
          servers: corenlp.address.length,
          annotators: NER_KBP_ANNOTATORS.join(','),
        },
      },
    });
    writeManifest(dir, manifest);
    if (dir !== target) replaceDir(dir, target);
    const rows = (r: Record<string, unknown[]>) => SPLITS.map((split) => r[split]!.length).join(' / ');
    log(
      `heldout data: NER typing ${rows(sets.typing)}, KBP relation ${rows(sets.relation)} rows (train / dev / test) from ${plan.sentences.length} sentences, in ${path.relative(process.cwd(), target)}`,
    );
    return manifest;
  });
}
