// Recipe: the factual half of build-data.
//   inputs   the profile's knowledge sources; the parsed sentences of the dependency half
//   steps    1 load    — entities, then facts, into Neo4j (constraints first, batched UNWIND)
//            2 extract — stream entities and facts back out (keyset pages) into an alias index
//            3 align   — mentions in every parsed sentence (and each WordNet gloss with its own
//                        synset as subject) → relation examples and no_relation candidates
//                        (src/facts/align-sentences.ts)
//            4 split   — by the sentence's dependency split and the entity pair
//                        (src/data/splits.ts): adapter rows only in dependency-train sentences,
//                        downstream dev/test rows only in dependency dev/test sentences; a
//                        held-out slice of pairs for the downstream task
//                        (src/facts/relation-examples.ts), written by src/facts/facts-files.ts
//   outputs  datasets/build/<profile>/facts/{train,dev,test}.jsonl, downstream/, entity_typing/,
//            relations.json, manifest.json
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import { dependencyDir, factsDir } from '../src/data/layout.ts';
import { alignSentences } from '../src/facts/align-sentences.ts';
import { readIndexes } from '../src/facts/extract.ts';
import { factsBySource, writeRelationFiles, writeRelationsList, writeTypingFiles } from '../src/facts/facts-files.ts';
import { openDriver } from '../src/facts/neo4j-client.ts';
import { placeRelationExamples } from '../src/facts/relation-examples.ts';
import { knowledgeVersions, loadKnowledge } from '../src/facts/sources/index.ts';
import { ensureSchema, graphCounts, loadEntities, loadTriples, tripleKey } from '../src/facts/store.ts';
import { withServices } from '../src/services/session.ts';
import './service-definitions.ts';
import {
  completeManifest,
  hashOf,
  isUpToDate,
  readManifest,
  requireParsedSentences,
  writeManifest,
  type Manifest,
} from '../src/util/manifest.ts';
import { besideDir, recoverReplace, replaceDir } from '../src/util/replace-dir.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The version of what this stage writes, part of its inputs hash so that an older build is redone:
 * 2 = every row carries `sentence_id`, splits follow the dependency split (src/data/splits.ts);
 * 3 = typing rows count character offsets in code points (SPEC §5), no longer in UTF-16 code units.
 */
const FORMAT = 3;

export async function buildFactsData(config: Config, opts: { force: boolean }): Promise<Manifest> {
  const target = factsDir(config);
  const recovered = recoverReplace(target);
  if (recovered) log(`facts: ${recovered}`);
  const depDir = dependencyDir(config);
  const { manifest: depManifest, sentencesHash: sentences } = requireParsedSentences(depDir, 'facts', log);
  const inputs = { knowledge: knowledgeVersions(config.facts), sentences, format: FORMAT };
  const parameters = config.facts;
  const inputsHash = hashOf({ inputs, parameters });
  if (!opts.force && isUpToDate(target, inputsHash, log)) {
    log(`facts: up to date (${path.relative(process.cwd(), target)}), nothing to do; --force rebuilds`);
    return readManifest(target)!;
  }
  // Built beside the finished folder, which stays untouched until the new one is complete.
  const dir = besideDir(target);
  const startedAt = new Date();
  const timings: Record<string, number> = {};
  const t = () => performance.now();

  return withServices(config, ['neo4j'], async (session) => {
    fs.rmSync(dir, { recursive: true, force: true }); // a leftover of an earlier rebuild
    const neo4j = session.get('neo4j');
    const driver = openDriver(neo4j.address);
    try {
      // 1. load
      let t0 = t();
      const { batch, skippedBySource } = loadKnowledge(config.facts);
      timings.readSourcesSeconds = (t() - t0) / 1000;
      const { formerFactsRemoved } = await ensureSchema(driver);
      if (formerFactsRemoved > 0)
        log(`facts: removed ${formerFactsRemoved} facts stored in the earlier [:FACT] layout`);
      const entityLoad = await loadEntities(driver, batch.entities, config.facts.loadBatchSize);
      const factLoad = await loadTriples(driver, batch.triples, config.facts.loadBatchSize, {
        writers: config.facts.loadWriters,
      });
      timings.loadEntitiesSeconds = entityLoad.seconds;
      timings.loadFactsSeconds = factLoad.seconds;
      const stored = await graphCounts(driver);
      log(
        `facts: ${stored.entities} entities, ${Object.values(stored.facts).reduce((a, b) => a + b, 0)} facts in Neo4j (${factLoad.written} facts stored, ${factLoad.created} of them new, at ${Math.round(factLoad.written / Math.max(factLoad.seconds, 1e-9))}/s)`,
      );

      // 2. extract
      t0 = t();
      const loaded = {
        entities: new Set(batch.entities.map((e) => e.id)),
        facts: new Set(batch.triples.map(tripleKey)),
      };
      const graph = await readIndexes(driver, loaded);
      const { index, lookup, names } = graph;
      timings.extractSeconds = (t() - t0) / 1000;

      // 3. align
      t0 = t();
      const { positives, negatives, typing, counts } = await alignSentences(depDir, depManifest.outputs, graph);
      timings.alignSeconds = (t() - t0) / 1000;

      // 4. place each example by its sentence's dependency split and its entity pair
      //    (src/facts/split.ts, the rule of src/data/splits.ts), cap no_relation, drop rare relations.
      //    No downstream dev/test row is in a sentence any adapter trains on; no pair is in two files.
      const placed = placeRelationExamples(positives, negatives, (id) => index.types.get(id), config.facts);
      const { kept, dropped } = placed;
      const relationFiles = writeRelationFiles(dir, placed, config.facts.noRelationRatio);
      const typingFiles = writeTypingFiles(dir, typing);
      writeRelationsList(dir, kept, relationFiles.exampleCounts);

      const manifest = completeManifest('build-data/facts', config.profile, startedAt, {
        inputsHash,
        inputs,
        parameters,
        counts: {
          /** As stored: may include what earlier runs left in the same database. */
          graph: stored,
          factsUsed: lookup.size,
          entitiesUsed: names.size,
          entitiesRead: batch.entities.length,
          factsRead: batch.triples.length,
          /** The graph keeps no source per fact (src/facts/store.ts); here is where they came from. */
          factsReadBySource: factsBySource(batch.triples),
          aliases: index.size,
          alignment: counts,
          positives: positives.length,
          noRelationCandidates: negatives.length,
          examples: relationFiles.exampleCounts,
          /** Rows per source in every file written (facts/train … entity_typing/test). */
          sourceMix: { ...relationFiles.sourceMix, ...typingFiles.sourceMix },
          relationsKept: [...kept].sort(),
        },
        skipped: {
          sources: skippedBySource,
          load: factLoad.skipped,
          aliasesNotUsable: index.aliasesSkipped,
          relationsDropped: dropped,
          relationsDroppedDownstream: placed.droppedDownstream,
          /** Examples the split rule left out (src/data/splits.ts), positives and no_relation alike. */
          splitRule: placed.leftOut,
          entityTypingDuplicateMentions: typingFiles.duplicates,
        },
        outputs: [...relationFiles.outputs, ...typingFiles.outputs],
        timings: {
          ...timings,
          factsPerSecondLoaded: factLoad.written / Math.max(factLoad.seconds, 1e-9),
          sentencesPerSecondAligned: counts.sentences / Math.max(timings.alignSeconds, 1e-9),
        },
        tools: { neo4j: { version: neo4j.version, origin: neo4j.origin } },
      });
      writeManifest(dir, manifest);
      replaceDir(dir, target);
      log(
        `facts: ${positives.length} aligned facts, ${kept.size} relations kept (${Object.keys(dropped).length} dropped), written to ${path.relative(process.cwd(), target)}`,
      );
      return manifest;
    } finally {
      await driver.close();
    }
  });
}
