// No leakage, on sentence ids: builds the smoke data (every part, real CoreNLP and Neo4j) and
// checks that no downstream dev/test sentence (relation, entity typing, POS, the held-out NER and
// KBP sets) is in any file that
// anything trains on — the adapters' and the multi-task base's inputs, train and dev alike, and
// the downstream tasks' own training files — and that the split rule of src/data/splits.ts holds
// row by row.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, expect, inject, it } from 'vitest';
import type { Config } from '../src/config/schema.ts';
import { dependencySplitFiles, factsDir, heldoutDir } from '../src/data/layout.ts';
import { pretrainingInputs } from '../src/tasks/knowledge/index.ts';
import { DependencyExample, EntityTypingExample, RelationExample, SPLITS, type Split } from '../src/data/schemas.ts';
import { describeLeaks, findLeaks, type LeakReport } from '../src/eval/leakage.ts';
import { readJsonl } from '../src/util/jsonl.ts';
import { testServiceConfig } from '../test/service-config.ts';
import { buildDependencyData } from './dependency-data.ts';
import { buildFactsData } from './facts-data.ts';
import { buildHeldoutData } from './heldout-data.ts';

const connection = inject('neo4j');
const corenlpUrl = inject('corenlpUrl');

let config: Config;
let report: LeakReport;
/** Dependency sentence id → its split. */
const splitOf = new Map<string, Split>();

beforeAll(async () => {
  const base = testServiceConfig('leakage');
  config = {
    ...base,
    paths: { ...base.paths, buildDir: fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-leakage-')) },
    services: {
      ...base.services,
      corenlp: { ...base.services.corenlp, urls: [corenlpUrl] },
      neo4j: { ...base.services.neo4j, uri: connection.uri, user: connection.user, password: connection.password },
    },
  };
  await buildDependencyData(config, { force: false, inputs: [] });
  await buildFactsData(config, { force: false });
  await buildHeldoutData(config, { force: false });
  for (const split of SPLITS)
    for (const f of dependencySplitFiles(config, split))
      for await (const r of readJsonl(f, DependencyExample)) splitOf.set(r.id, split);
  report = await findLeaks(config);
  process.stderr.write(
    `[leakage] rows checked ${JSON.stringify(report.rows)}\n[leakage] ${describeLeaks(report).join('\n[leakage] ')}\n`,
  );
});

it('finds no downstream dev/test sentence id in any file that anything trains on', () => {
  expect(report.missingSentenceId).toEqual({});
  expect(describeLeaks(report)).toEqual(['no evaluated sentence id is in any trained file']);
  expect(report.leaks).toEqual([]);
  // The check had something to check: the evaluated sets of the smoke build are not empty (the
  // smoke KG slice yields no downstream relation pairs; its relation task uses a TACRED fixture).
  for (const label of ['entity-typing/dev', 'entity-typing/test', 'pos/dev', 'pos/test'])
    expect(report.rows[label], label).toBeGreaterThan(0);
  for (const label of ['facts/train', 'facts/dev', 'dependency/train', 'entity-typing/train'])
    expect(report.rows[label], label).toBeGreaterThan(0);
  // The held-out sets are checked both ways: their dev/test ids against every trained file, their
  // train ids as a trained file. (The smoke dev split may hold no KBP relation: its file is checked, empty.)
  for (const set of ['ner_typing', 'kbp_relation'])
    for (const split of ['train', 'dev', 'test'])
      expect(report.rows[`heldout/${set}/${split}`], `${set}/${split}`).toBeDefined();
  for (const label of [
    'heldout/ner_typing/train',
    'heldout/ner_typing/dev',
    'heldout/ner_typing/test',
    'heldout/kbp_relation/test',
  ])
    expect(report.rows[label], label).toBeGreaterThan(0);
});

it('checks what the training stage reads: facts train/dev and the dependency train shards, no dev/test shard', () => {
  const inputs = pretrainingInputs(config).map((i) => path.relative(config.paths.buildDir, i.file));
  expect(inputs).toContain(path.join('facts', 'train.jsonl'));
  expect(inputs).toContain(path.join('facts', 'dev.jsonl'));
  expect(inputs.some((f) => /dependency\/train-\d+\.jsonl$/.test(f))).toBe(true);
  expect(inputs.filter((f) => /(dev|test)-\d+\.jsonl$/.test(f))).toEqual([]);
});

it('keeps the split rule row by row: adapter rows in dependency-train sentences, downstream and held-out rows in their own split', async () => {
  const dir = factsDir(config);
  const check = async (file: string, schema: typeof RelationExample | typeof EntityTypingExample, want: Split) => {
    let n = 0;
    for await (const r of readJsonl(path.resolve(dir, file), schema)) {
      n++;
      expect(splitOf.get(r.sentence_id), `${file}: ${r.sentence_id}`).toBe(want);
    }
    return n;
  };
  const counts: Record<string, number> = {};
  for (const split of SPLITS) {
    counts[`facts/${split}`] = await check(`${split}.jsonl`, RelationExample, 'train');
    counts[`downstream/${split}`] = await check(`downstream/${split}.jsonl`, RelationExample, split);
    counts[`entity_typing/${split}`] = await check(`entity_typing/${split}.jsonl`, EntityTypingExample, split);
  }
  for (const split of SPLITS) {
    const held = heldoutDir(config);
    counts[`heldout/ner_typing/${split}`] = await check(
      path.join(held, 'ner_typing', `${split}.jsonl`),
      EntityTypingExample,
      split,
    );
    counts[`heldout/kbp_relation/${split}`] = await check(
      path.join(held, 'kbp_relation', `${split}.jsonl`),
      RelationExample,
      split,
    );
  }
  process.stderr.write(`[leakage] rows per file ${JSON.stringify(counts)}\n`);
  for (const file of ['facts/train', 'facts/dev', 'entity_typing/train', 'entity_typing/dev', 'entity_typing/test'])
    expect(counts[file], file).toBeGreaterThan(0);
});

it('finds a held-out dev sentence planted in a trained file (the check can fail)', async () => {
  const trained = path.join(heldoutDir(config), 'ner_typing', 'train.jsonl');
  const dev = fs.readFileSync(path.join(heldoutDir(config), 'ner_typing', 'dev.jsonl'), 'utf8').split('\n')[0]!;
  const before = fs.readFileSync(trained);
  try {
    fs.appendFileSync(trained, `${dev}\n`);
    const planted = await findLeaks(config);
    const id = EntityTypingExample.parse(JSON.parse(dev)).sentence_id;
    expect(planted.leaks).toContainEqual({
      evaluated: 'heldout/ner_typing/dev',
      trained: 'heldout/ner_typing/train',
      ids: [id],
    });
  } finally {
    fs.writeFileSync(trained, before);
  }
});
