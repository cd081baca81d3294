// Recipe: the factual half of build-data.
//   inputs   the profile's knowledge sources; the parsed sentences of the dependency half
//   steps    1 load    — entities, then facts, into Neo4j (constraints first, batched UNWIND)
//            2 extract — stream entities and facts back out (keyset pages) into an alias index
//            3 align   — mentions in every parsed sentence (and each WordNet gloss with its own
//                        synset as subject) → relation examples and no_relation candidates
//            4 split   — by the sentence's dependency split and the entity pair
//                        (src/data/splits.ts): adapter rows only in dependency-train sentences,
//                        downstream dev/test rows only in dependency dev/test sentences; a
//                        held-out slice of pairs for the downstream task
//   outputs  datasets/build/<profile>/facts/{train,dev,test}.jsonl, downstream/, entity_typing/,
//            relations.json, manifest.json
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import {
  DependencyExample,
  PlannedSentence,
  SPLITS,
  type EntityTypingExample,
  type KgTriple,
  type RelationExample,
  type Split,
} from '../src/data/schemas.ts';
import type { Mention } from '../src/facts/alias-index.ts';
import { alignMentions, type AlignedPair } from '../src/facts/align.ts';
import { placeExamples } from '../src/facts/split.ts';
import { typingRows } from '../src/facts/typing.ts';
import { readIndexes } from '../src/facts/extract.ts';
import { openDriver } from '../src/facts/neo4j-client.ts';
import { NO_RELATION, PREDICATES } from '../src/facts/predicates.ts';
import { knowledgeVersions, loadKnowledge } from '../src/facts/sources/index.ts';
import { ensureSchema, graphCounts, loadEntities, loadTriples, tripleKey } from '../src/facts/store.ts';
import { withServices } from '../src/services/session.ts';
import './service-definitions.ts';
import { readJsonl, writeFileAtomic, writeJsonlAtomic, type WrittenFile } from '../src/util/jsonl.ts';
import {
  completeManifest,
  hashOf,
  isUpToDate,
  readManifest,
  requireParsedSentences,
  writeManifest,
  type Manifest,
} from '../src/util/manifest.ts';
import { dependencyDir, factsDir } from '../src/data/layout.ts';
import { byHashOf, countBy } from '../src/util/sample.ts';
import { besideDir, recoverReplace, replaceDir } from '../src/util/replace-dir.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The version of what this stage writes, part of its inputs hash so that an older build is redone:
 * 2 = every row carries `sentence_id`, splits follow the dependency split (src/data/splits.ts);
 * 3 = typing rows count character offsets in code points (SPEC §5), no longer in UTF-16 code units.
 */
const FORMAT = 3;

/** Seed of the hash order that decides which no_relation candidates are kept. */
const NEGATIVES_SEED = 'facts-no-relation';

function coarseType(types: string[] | undefined): string {
  const specific = (types ?? []).map((t) => t.split('/')[0]!).find((t) => t !== 'entity');
  return (specific ?? 'entity').toUpperCase();
}

interface Sentence {
  id: string;
  source: string;
  text: string;
  tokens: string[];
  offsets: [number, number][];
  split: Split;
  /** A WordNet gloss: the synset it defines. */
  glossOf?: string;
}

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
      const { index, lookup, names } = await readIndexes(driver, loaded);
      timings.extractSeconds = (t() - t0) / 1000;

      // 3. align
      t0 = t();
      const glossOf = new Map<string, string>();
      for await (const s of readJsonl(path.join(depDir, 'plan.jsonl'), PlannedSentence)) {
        if (s.source === 'wordnet') glossOf.set(s.id, `wn:${s.doc}`);
      }
      const positives: { pair: AlignedPair; s: Sentence }[] = [];
      const negatives: { pair: AlignedPair; s: Sentence }[] = [];
      const typing: Record<Split, EntityTypingExample[]> = { train: [], dev: [], test: [] };
      const counts = { sentences: 0, mentions: 0, ambiguousMentions: 0, ambiguousPairs: 0, glossSentences: 0 };
      for (const o of depManifest.outputs.filter((o) => o.file.endsWith('.jsonl'))) {
        const split = o.file.split('-')[0] as Split;
        for await (const ex of readJsonl(path.join(depDir, o.file), DependencyExample)) {
          counts.sentences++;
          let sentence: Sentence = { ...ex, split };
          let mentions = index.match(ex.tokens, ex.pos);
          const gloss = glossOf.get(ex.id);
          if (gloss && names.has(gloss)) {
            // "<lemma> : <gloss>" — the defined synset becomes a mention at the front.
            counts.glossSentences++;
            const head = names.get(gloss)!.split(' ');
            const shift = head.length + 1;
            const text = `${head.join(' ')} : ${ex.text}`;
            let at = 0;
            const headOffsets = head.map((w) => {
              const span: [number, number] = [at, at + w.length];
              at += w.length + 1;
              return span;
            });
            sentence = {
              ...sentence,
              text,
              tokens: [...head, ':', ...ex.tokens],
              offsets: [
                ...headOffsets,
                [at, at + 1],
                ...ex.offsets.map(([a, b]) => [a + at + 2, b + at + 2] as [number, number]),
              ],
              glossOf: gloss,
            };
            mentions = [
              { start: 0, end: head.length - 1, ids: [gloss] },
              ...mentions.map((m): Mention => ({ start: m.start + shift, end: m.end + shift, ids: m.ids })),
            ];
          }
          counts.mentions += mentions.length;
          counts.ambiguousMentions += mentions.filter((m) => m.ids.length > 1).length;
          const aligned = alignMentions(mentions, lookup);
          counts.ambiguousPairs += aligned.ambiguous;
          for (const pair of aligned.positives) positives.push({ pair, s: sentence });
          for (const pair of aligned.negatives) negatives.push({ pair, s: sentence });
          // Typing rows keep their sentence's dependency split: train, dev or test.
          const typed = { ...sentence, source: sentence.glossOf ? 'wordnet-gloss' : ex.source };
          typing[split].push(...typingRows(typed, mentions, (id) => index.types.get(id)));
        }
      }
      timings.alignSeconds = (t() - t0) / 1000;

      // 4. place each example by its sentence's dependency split and its entity pair
      //    (src/facts/split.ts, the rule of src/data/splits.ts), cap no_relation, drop rare relations.
      //    No downstream dev/test row is in a sentence any adapter trains on; no pair is in two files.
      const toExample = ({ pair, s }: { pair: AlignedPair; s: Sentence }): RelationExample => ({
        id: `${s.id}:${pair.subj.start}-${pair.obj.start}`,
        source: s.glossOf ? 'wordnet-gloss' : s.source,
        sentence_id: s.id,
        token: s.tokens,
        subj_start: pair.subj.start,
        subj_end: pair.subj.end,
        obj_start: pair.obj.start,
        obj_end: pair.obj.end,
        subj_type: coarseType(index.types.get(pair.subjId)),
        obj_type: coarseType(index.types.get(pair.objId)),
        relation: pair.relation,
        subj_id: pair.subjId,
        obj_id: pair.objId,
      });
      const unplaced = (list: typeof positives) =>
        list.map((e) => ({ subjId: e.pair.subjId, objId: e.pair.objId, sentenceSplit: e.s.split }));
      const { places, leftOut } = placeExamples(
        [unplaced(positives), unplaced(negatives)],
        config.facts.downstreamShare,
      );
      const placed = (list: typeof positives, at: (typeof places)[number]) =>
        list.flatMap((e, i) => (at[i] ? [{ ...e, ...at[i] }] : []));
      const placedPositives = placed(positives, places[0]!);
      const perRelation: Record<string, number> = {};
      for (const p of placedPositives) {
        if (p.set === 'adapter') perRelation[p.pair.relation] = (perRelation[p.pair.relation] ?? 0) + 1;
      }
      const kept = new Set(
        Object.entries(perRelation)
          .filter(([, n]) => n >= config.facts.minExamplesPerRelation)
          .map(([r]) => r),
      );
      const dropped = Object.fromEntries(Object.entries(perRelation).filter(([r]) => !kept.has(r)));
      const buckets: Record<'adapter' | 'downstream', Record<Split, RelationExample[]>> = {
        adapter: { train: [], dev: [], test: [] },
        downstream: { train: [], dev: [], test: [] },
      };
      const droppedDownstream: Record<string, number> = {};
      for (const p of placedPositives) {
        if (!kept.has(p.pair.relation)) {
          if (p.set === 'downstream')
            droppedDownstream[p.pair.relation] = (droppedDownstream[p.pair.relation] ?? 0) + 1;
          continue;
        }
        buckets[p.set][p.split].push(toExample(p));
      }
      const negativesBy: Record<'adapter' | 'downstream', Record<Split, RelationExample[]>> = {
        adapter: { train: [], dev: [], test: [] },
        downstream: { train: [], dev: [], test: [] },
      };
      for (const n of placed(negatives, places[1]!)) negativesBy[n.set][n.split].push(toExample(n));
      const outputs: WrittenFile[] = [];
      const exampleCounts: Record<string, Record<string, Record<string, number>>> = {};
      /** Rows per source in each file written: the mix of every split. */
      const sourceMix: Record<string, Record<string, number>> = {};
      for (const set of ['adapter', 'downstream'] as const) {
        for (const split of SPLITS) {
          const pos = buckets[set][split];
          const cap = Math.floor(pos.length * config.facts.noRelationRatio);
          // Which negatives are kept: a seeded hash order of their ids, never file order.
          const neg = byHashOf(negativesBy[set][split], (r) => r.id, NEGATIVES_SEED).slice(0, cap);
          const rows = [...pos, ...neg].sort((a, b) =>
            a.id < b.id ? -1 : a.id > b.id ? 1 : a.relation < b.relation ? -1 : 1,
          );
          const file = set === 'adapter' ? `${split}.jsonl` : `downstream/${split}.jsonl`;
          outputs.push({ ...writeJsonlAtomic(path.join(dir, file), rows), file });
          sourceMix[file.replace(/\.jsonl$/, '')] = countBy(rows, (r) => r.source);
          const c = ((exampleCounts[set] ??= {})[split] = {} as Record<string, number>);
          for (const r of rows) c[r.relation] = (c[r.relation] ?? 0) + 1;
        }
      }
      let typingDuplicates = 0;
      for (const split of SPLITS) {
        const seen = new Set<string>();
        const rows = typing[split].filter((e) => {
          const k = `${e.sent}\u0000${e.start}\u0000${e.end}`;
          if (seen.has(k)) typingDuplicates++;
          return seen.has(k) ? false : (seen.add(k), true);
        });
        const file = `entity_typing/${split}.jsonl`;
        outputs.push({ ...writeJsonlAtomic(path.join(dir, file), rows), file });
        sourceMix[`entity_typing/${split}`] = countBy(rows, (r) => r.source);
      }
      const relations = [
        ...PREDICATES.filter((p) => kept.has(p.id)).map((p) => ({
          id: p.id,
          label: p.label,
          counts: countsOf(exampleCounts, p.id),
        })),
        { id: NO_RELATION, label: 'no relation', counts: countsOf(exampleCounts, NO_RELATION) },
      ];
      writeFileAtomic(path.join(dir, 'relations.json'), `${JSON.stringify(relations, null, 2)}\n`);

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
          examples: exampleCounts,
          /** Rows per source in every file written (facts/train … entity_typing/test). */
          sourceMix,
          relationsKept: [...kept].sort(),
        },
        skipped: {
          sources: skippedBySource,
          load: factLoad.skipped,
          aliasesNotUsable: index.aliasesSkipped,
          relationsDropped: dropped,
          relationsDroppedDownstream: droppedDownstream,
          /** Examples the split rule left out (src/data/splits.ts), positives and no_relation alike. */
          splitRule: leftOut,
          entityTypingDuplicateMentions: typingDuplicates,
        },
        outputs,
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

function factsBySource(triples: KgTriple[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const t of triples) {
    const bySource = (out[t.predicate] ??= {});
    bySource[t.source] = (bySource[t.source] ?? 0) + 1;
  }
  return out;
}

function countsOf(
  exampleCounts: Record<string, Record<string, Record<string, number>>>,
  relation: string,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [set, splits] of Object.entries(exampleCounts)) {
    for (const [split, c] of Object.entries(splits))
      out[set === 'adapter' ? split : `downstream/${split}`] = c[relation] ?? 0;
  }
  return out;
}
