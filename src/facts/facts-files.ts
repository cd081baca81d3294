// What the facts part writes into its folder: the relation files (facts/{train,dev,test}.jsonl
// for the adapter, downstream/ for the downstream task) with their no_relation rows capped, the
// entity-typing files (entity_typing/, one row per mention), and relations.json, the relations
// kept with their example counts.
import path from 'node:path';
import { SPLITS, type EntityTypingExample, type KgTriple, type Split } from '../data/schemas.ts';
import { writeFileAtomic, writeJsonlAtomic, type WrittenFile } from '../util/jsonl.ts';
import { byHashOf, countBy } from '../util/sample.ts';
import { NO_RELATION, PREDICATES } from './predicates.ts';
import type { RelationBuckets } from './relation-examples.ts';

/** Seed of the hash order that decides which no_relation candidates are kept. */
const NEGATIVES_SEED = 'facts-no-relation';

/** Rows per relation, per set (adapter, downstream) and split. */
export type ExampleCounts = Record<string, Record<string, Record<string, number>>>;

/** Rows per source in each file written (its path without .jsonl): the mix of every split. */
export type SourceMix = Record<string, Record<string, number>>;

/**
 * Each set and split: its examples and at most `noRelationRatio` × as many no_relation rows, chosen
 * by a seeded hash order of their ids (never file order), sorted by id.
 */
export function writeRelationFiles(
  dir: string,
  placed: { positives: RelationBuckets; negatives: RelationBuckets },
  noRelationRatio: number,
): { outputs: WrittenFile[]; exampleCounts: ExampleCounts; sourceMix: SourceMix } {
  const outputs: WrittenFile[] = [];
  const exampleCounts: ExampleCounts = {};
  const sourceMix: SourceMix = {};
  for (const set of ['adapter', 'downstream'] as const) {
    for (const split of SPLITS) {
      const pos = placed.positives[set][split];
      const cap = Math.floor(pos.length * noRelationRatio);
      const neg = byHashOf(placed.negatives[set][split], (r) => r.id, NEGATIVES_SEED).slice(0, cap);
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
  return { outputs, exampleCounts, sourceMix };
}

/** entity_typing/<split>.jsonl: one row per mention (sentence and span), the later duplicates counted. */
export function writeTypingFiles(
  dir: string,
  typing: Record<Split, EntityTypingExample[]>,
): { outputs: WrittenFile[]; sourceMix: SourceMix; duplicates: number } {
  const outputs: WrittenFile[] = [];
  const sourceMix: SourceMix = {};
  let duplicates = 0;
  for (const split of SPLITS) {
    const seen = new Set<string>();
    const rows = typing[split].filter((e) => {
      const k = `${e.sent}\u0000${e.start}\u0000${e.end}`;
      if (seen.has(k)) duplicates++;
      return seen.has(k) ? false : (seen.add(k), true);
    });
    const file = `entity_typing/${split}.jsonl`;
    outputs.push({ ...writeJsonlAtomic(path.join(dir, file), rows), file });
    sourceMix[`entity_typing/${split}`] = countBy(rows, (r) => r.source);
  }
  return { outputs, sourceMix, duplicates };
}

/** relations.json: the relations kept, in label order, no_relation last, with their rows per file. */
export function writeRelationsList(dir: string, kept: Set<string>, exampleCounts: ExampleCounts): void {
  const relations = [
    ...PREDICATES.filter((p) => kept.has(p.id)).map((p) => ({
      id: p.id,
      label: p.label,
      counts: countsOf(exampleCounts, p.id),
    })),
    { id: NO_RELATION, label: 'no relation', counts: countsOf(exampleCounts, NO_RELATION) },
  ];
  writeFileAtomic(path.join(dir, 'relations.json'), `${JSON.stringify(relations, null, 2)}\n`);
}

/** Facts read per predicate and source (the graph keeps no source per fact: src/facts/store.ts). */
export function factsBySource(triples: KgTriple[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const t of triples) {
    const bySource = (out[t.predicate] ??= {});
    bySource[t.source] = (bySource[t.source] ?? 0) + 1;
  }
  return out;
}

function countsOf(exampleCounts: ExampleCounts, relation: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [set, splits] of Object.entries(exampleCounts)) {
    for (const [split, c] of Object.entries(splits))
      out[set === 'adapter' ? split : `downstream/${split}`] = c[relation] ?? 0;
  }
  return out;
}
