// The held-out part of build-data against the real CoreNLP: the smoke profile's NER typing and KBP
// relation sets, their counts, yield and skips in the manifest, rows in their own split, the
// evaluation's readers taking every row, a resume that redoes only what is missing, "up to date".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, expect, inject, it } from 'vitest';
import type { Config } from '../src/config/schema.ts';
import { dependencySplitFiles, heldoutDir } from '../src/data/layout.ts';
import {
  COARSE_TYPES,
  DependencyExample,
  EntityTypingExample,
  RelationExample,
  SPLITS,
  type Split,
} from '../src/data/schemas.ts';
import { loadDownstreamData, pretrainingSentences } from '../src/eval/downstream-data.ts';
import { downstreamSets } from '../src/eval/sets.ts';
import { streamTacred, streamTyping } from '../src/data/formats.ts';
import { initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel } from '../src/kadapter/base-model.ts';
import { NO_RELATION, TACRED_RELATIONS } from '../src/parsing/heldout/tacred.ts';
import { readJsonl } from '../src/util/jsonl.ts';
import type { Manifest } from '../src/util/manifest.ts';
import { TINY_BERT } from '../test/fixtures/kadapter/tiny-task.ts';
import { testServiceConfig } from '../test/service-config.ts';
import { buildDependencyData } from './dependency-data.ts';
import { buildHeldoutData } from './heldout-data.ts';

let config: Config;
let manifest: Manifest;
let dir: string;
const splitOf = new Map<string, Split>();
const counts = (key: string) => manifest.counts[key] as Record<Split, Record<string, number>>;
const skipped = (key: string) => manifest.skipped[key] as Record<Split, Record<string, number> | number>;

beforeAll(async () => {
  const base = testServiceConfig('heldout');
  config = {
    ...base,
    paths: { ...base.paths, buildDir: fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-heldout-')) },
    services: { ...base.services, corenlp: { ...base.services.corenlp, urls: [inject('corenlpUrl')] } },
  };
  await buildDependencyData(config, { force: false, inputs: [] });
  manifest = await buildHeldoutData(config, { force: false });
  dir = heldoutDir(config);
  for (const split of SPLITS)
    for (const f of dependencySplitFiles(config, split))
      for await (const r of readJsonl(f, DependencyExample)) splitOf.set(r.id, split);
  const m = manifest;
  process.stderr.write(
    `[heldout] sentences ${JSON.stringify(m.counts.sentencesAnnotated)} typing ${JSON.stringify(m.counts.typingRows)} relation ${JSON.stringify(m.counts.relationRows)}\n` +
      `[heldout] NER mentions ${JSON.stringify(m.counts.nerMentionsByClass)}\n[heldout] positives ${JSON.stringify(m.counts.positivesByRelation)} yield ${JSON.stringify(m.counts.positivesPer1000Sentences)}\n` +
      `[heldout] skipped ${JSON.stringify(m.skipped)}\n[heldout] timings ${JSON.stringify(m.timings)}\n`,
  );
});

it('annotates every smoke dev and test sentence and a sample of train, and writes both sets', () => {
  expect(manifest.complete).toBe(true);
  const planned = manifest.counts.sentencesPlanned as Record<Split, number>;
  const read = manifest.counts.dependencySentences as Record<Split, number>;
  expect(planned.dev).toBe(read.dev);
  expect(planned.test).toBe(read.test);
  expect(planned.train).toBe(config.heldout.maxSentences.train);
  // Every planned sentence is annotated or counted.
  const annotated = manifest.counts.sentencesAnnotated as Record<Split, number>;
  const skippedSentences = Object.values(manifest.skipped.sentences as Record<string, number>).reduce(
    (a, b) => a + b,
    0,
  );
  expect(SPLITS.reduce((a, s) => a + annotated[s], 0) + skippedSentences).toBe(
    SPLITS.reduce((a, s) => a + planned[s], 0),
  );
  for (const set of ['ner_typing', 'kbp_relation'])
    for (const split of SPLITS)
      expect(fs.existsSync(path.join(dir, set, `${split}.jsonl`)), `${set}/${split}`).toBe(true);
});

it('accounts for every NER mention: a row, or a class not used, unmapped, a pronoun, a cut character', () => {
  const typingRows = manifest.counts.typingRows as Record<Split, number>;
  for (const split of SPLITS) {
    const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    const mentions = sum(counts('nerMentionsByClass')[split]!);
    const left =
      sum(skipped('nerClassNotUsed')[split] as Record<string, number>) +
      sum(skipped('nerClassUnmapped')[split] as Record<string, number>) +
      sum(skipped('nerPronounMentions')[split] as Record<string, number>) +
      (skipped('mentionCutsCharacter')[split] as number);
    expect(typingRows[split] + left, split).toBe(mentions);
    expect(skipped('nerClassUnmapped')[split], split).toEqual({});
  }
  expect(typingRows.train + typingRows.dev + typingRows.test).toBeGreaterThan(50);
  expect(Object.keys(counts('nerMentionsByClass').train!)).toContain('PERSON');
});

it('measures the KBP yield: positives per relation and split, and per 1000 sentences', () => {
  const positives = counts('positivesByRelation');
  const all = SPLITS.flatMap((s) => Object.entries(positives[s]!));
  expect(all.length).toBeGreaterThan(0);
  for (const [relation] of all) expect(TACRED_RELATIONS).toContain(relation);
  const yieldPer1000 = manifest.counts.positivesPer1000Sentences as { all: number; bySplit: Record<Split, number> };
  const sentences = manifest.counts.sentencesAnnotated as Record<Split, number>;
  const n = all.reduce((a, [, c]) => a + c, 0);
  expect(yieldPer1000.all).toBeCloseTo((1000 * n) / (sentences.train + sentences.dev + sentences.test), 6);
  for (const key of [
    'kbpRelationOutsideTacred',
    'kbpSubjectNotPersonOrOrganization',
    'kbpPronounEnd',
    'noRelationOverCap',
  ])
    expect(Object.keys(skipped(key)).sort(), key).toEqual(['dev', 'test', 'train']);
});

it('writes valid rows, each in a sentence of its own dependency split, that the evaluation readers take whole', async () => {
  for (const split of SPLITS) {
    const typing = path.join(dir, 'ner_typing', `${split}.jsonl`);
    for await (const r of readJsonl(typing, EntityTypingExample)) {
      expect(splitOf.get(r.sentence_id), r.id).toBe(split);
      expect(r.id).toBe(`${r.sentence_id}:${r.start}-${r.end}`);
      expect([...r.sent].slice(r.start, r.end).join('').length).toBeGreaterThan(0);
      for (const l of r.labels) expect(COARSE_TYPES).toContain(l.split('/')[0]);
    }
    const relation = path.join(dir, 'kbp_relation', `${split}.jsonl`);
    for await (const r of readJsonl(relation, RelationExample)) {
      expect(splitOf.get(r.sentence_id), r.id).toBe(split);
      expect([...TACRED_RELATIONS, NO_RELATION]).toContain(r.relation);
      expect(['PERSON', 'ORGANIZATION']).toContain(r.subj_type);
      expect(r.subj_end).toBeLessThan(r.token.length);
      expect(r.obj_end).toBeLessThan(r.token.length);
    }
    // The readers `--data-dir` uses: nothing skipped (an empty split file is refused there, by name).
    for (const [file, read] of [
      [typing, streamTyping],
      [relation, streamTacred],
    ] as const) {
      if (fs.statSync(file).size === 0) continue;
      const skips: Record<string, number> = {};
      let rows = 0;
      for await (const _ of read(file, skips)) rows++;
      expect(rows, file).toBeGreaterThan(0);
      expect(skips, file).toEqual({});
    }
  }
});

it('loads as the entity-typing set `ner`, nothing dropped as seen in pre-training', async () => {
  await initBackend('cpu');
  const base = loadBaseModel(TINY_BERT);
  const withSets: Config = {
    ...config,
    eval: { ...config.eval, sets: { 'entity-typing': [{ name: 'ner' }], relation: [{ name: 'kbp' }] } },
  };
  const [ner] = downstreamSets(withSets, 'entity-typing');
  expect(ner!.dir).toBe(path.join(dir, 'ner_typing'));
  const data = await loadDownstreamData(withSets, base, ner!, await pretrainingSentences(withSets));
  for (const split of SPLITS) expect(data.splits[split].length, split).toBeGreaterThan(0);
  expect(data.droppedAsSeenInPretraining).toEqual({});
  expect(data.labels).toContain('person');
});

it('resumes: a shard cut short and a set file lost are made again, to the same bytes; then "up to date"', async () => {
  const before = Object.fromEntries(manifest.outputs.map((o) => [o.file, o.sha256]));
  const shards = fs.readdirSync(path.join(dir, 'shards')).sort();
  const last = shards[shards.length - 1]!;
  fs.rmSync(path.join(dir, 'shards', last));
  fs.rmSync(path.join(dir, 'annotated', last.replace('.done.json', '.jsonl')));
  fs.rmSync(path.join(dir, 'ner_typing', 'test.jsonl'));
  const resumed = await buildHeldoutData(config, { force: false });
  expect(Object.fromEntries(resumed.outputs.map((o) => [o.file, o.sha256]))).toEqual(before);
  const lastLines = manifest.outputs.find((o) => o.file === `annotated/${last.replace('.done.json', '.jsonl')}`)!.lines;
  expect(resumed.timings.sentencesAnnotatedThisRun).toBeGreaterThanOrEqual(lastLines);
  expect(resumed.timings.sentencesAnnotatedThisRun).toBeLessThanOrEqual(config.heldout.shardSize);
  const again = await buildHeldoutData(config, { force: false });
  expect(again.finishedAt).toBe(resumed.finishedAt);
});
