import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { DependencyExample, EntityTypingExample, RelationExample } from '../data/schemas.ts';
import { initBackend } from '../kadapter/backend.ts';
import { loadBaseModel, type BaseModel } from '../kadapter/base-model.ts';
import { repoRoot } from '../util/paths.ts';
import { TINY_BERT } from '../../test/fixtures/kadapter/tiny-task.ts';
import {
  loadDownstreamData,
  loadSetData,
  perRelationSubset,
  pretrainingSentences,
  seenInPretraining,
  unusable,
  type PretrainingSentences,
} from './downstream-data.ts';
import { downstreamSets, setFilesProblem, type DownstreamSet } from './sets.ts';
import { describeLeaks, findLeaks, findLeaksIn } from './leakage.ts';
import type { TaskExample } from '../tasks/downstream/index.ts';

const ex = (rel: string, i: number): TaskExample => ({
  id: `${rel}-${i}`,
  ids: [0, 1],
  positions: [1, 1],
  gold: [rel],
});

describe('data efficiency subsets', () => {
  it('keeps at most k examples of each relation, the same for the same seed', () => {
    const examples = [
      ...Array.from({ length: 30 }, (_, i) => ex('P1', i)),
      ...Array.from({ length: 4 }, (_, i) => ex('P2', i)),
      ...Array.from({ length: 12 }, (_, i) => ex('no_relation', i)),
    ];
    const idx = perRelationSubset(examples, 10, 3);
    const count = (rel: string) => idx.filter((i) => examples[i]!.gold[0] === rel).length;
    expect([count('P1'), count('P2'), count('no_relation')]).toEqual([10, 4, 10]);
    expect(perRelationSubset(examples, 10, 3)).toEqual(idx);
    expect(perRelationSubset(examples, 10, 4)).not.toEqual(idx);
  });
});

describe('seen in pre-training', () => {
  const seen: PretrainingSentences = {
    ids: new Map([
      ['wordnet-0000000000000001', 'facts/train'],
      ['brown-0000000000000002', 'dependency/train'],
    ]),
    texts: new Map([['Thecatsat.', 'dependency/train']]),
  };

  it('matches a row with a sentence id by the id alone', () => {
    expect(seenInPretraining(seen, { sentenceId: 'wordnet-0000000000000001', text: 'anything' })).toBe('facts/train');
    expect(seenInPretraining(seen, { sentenceId: 'brown-0000000000000002', text: '' })).toBe('dependency/train');
    // The same text under another id is another sentence (a gloss row rewritten "lemma : gloss"
    // keeps its own id; sentences are distinct by text in the dependency data).
    expect(seenInPretraining(seen, { sentenceId: 'brown-0000000000000003', text: 'The cat sat.' })).toBeNull();
  });

  it('falls back to the text, white space ignored, for rows without one (external datasets)', () => {
    expect(seenInPretraining(seen, { text: 'The  cat sat .' })).toBe('dependency/train (text match)');
    expect(seenInPretraining(seen, { text: 'The dog sat.' })).toBeNull();
  });
});

// A build folder by hand: what the adapters read (facts/train.jsonl, dependency train) and an
// entity-typing task whose dev/test hold rows of those sentences, by id and (external rows) by text.
const sid = (source: string, n: number) => `${source}-${n.toString(16).padStart(16, '0')}`;
const dep = (id: string, source: string, words: string[]): DependencyExample => {
  let at = 0;
  const offsets = words.map((w): [number, number] => {
    const span: [number, number] = [at, at + w.length];
    at += w.length + 1;
    return span;
  });
  return {
    id,
    source,
    text: words.join(' '),
    tokens: words,
    offsets,
    heads: words.map((_, i) => (i + 1 < words.length ? i + 2 : 0)),
    deprels: words.map(() => 'dep'),
    pos: words.map(() => 'NN'),
    gold_pos: source === 'brown' ? words.map(() => 'NN') : undefined,
  };
};
const typing = (sentenceId: string, source: string, sent: string): EntityTypingExample => ({
  id: `${sentenceId}:0-3`,
  source,
  sentence_id: sentenceId,
  sent,
  start: 0,
  end: 3,
  labels: ['entity', 'location'],
});
const relation = (sentenceId: string, token: string[]): RelationExample => ({
  id: `${sentenceId}:0-2`,
  source: 'wordnet',
  sentence_id: sentenceId,
  token,
  subj_start: 0,
  subj_end: 0,
  obj_start: 2,
  obj_end: 2,
  subj_type: 'ENTITY',
  obj_type: 'ENTITY',
  relation: 'P279',
  subj_id: 's',
  obj_id: 'o',
});
const jsonl = (file: string, rows: unknown[]) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
};

describe('loadDownstreamData: the id filter, counts by source and input, seeded caps', () => {
  let config: Config;
  let base: BaseModel;
  // The build's kg set of a task (the first in the smoke profile's entity-typing list).
  const kg = (task: 'entity-typing' | 'relation') => downstreamSets(config, task).find((s) => s.name === 'kg')!;
  const inFacts = sid('wordnet', 1);
  const inDependency = sid('brown', 2);
  const dependencyText = ['Lon', 'is', 'far', 'away', '.'];

  beforeAll(async () => {
    await initBackend('cpu');
    base = loadBaseModel(TINY_BERT);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-downstream-'));
    config = loadConfig({ profile: 'smoke', env: { HOME: os.homedir(), KADAPTER_BUILD_DIR: root } });
    config.eval.maxDev = null;
    config.eval.maxTest = 20;
    const b = config.paths.buildDir;
    jsonl(path.join(b, 'facts', 'train.jsonl'), [relation(inFacts, ['Rome', 'is', 'city'])]);
    jsonl(path.join(b, 'dependency', 'train-00000.jsonl'), [dep(inDependency, 'brown', dependencyText)]);
    const unseen = (n: number, source = 'nlp-corpus') => typing(sid(source, 100 + n), source, `Oslo ${n} is cold`);
    jsonl(path.join(b, 'facts', 'entity_typing', 'train.jsonl'), [
      // Train rows are not filtered: a task's training data may overlap the adapters'.
      typing(inFacts, 'wordnet', 'Rome is a city'),
      ...Array.from({ length: 30 }, (_, n) => unseen(n)),
    ]);
    jsonl(path.join(b, 'facts', 'entity_typing', 'dev.jsonl'), [
      typing(inFacts, 'wordnet-gloss', 'Rom : a city'),
      typing(inDependency, 'brown', dependencyText.join(' ')),
      // An external row (no sentence_id, no source) whose text is a pre-training sentence.
      { sent: 'Lon is  far away .', start: 0, end: 3, labels: ['entity', 'location'] },
      unseen(50),
      unseen(51, 'brown'),
    ]);
    jsonl(
      path.join(b, 'facts', 'entity_typing', 'test.jsonl'),
      Array.from({ length: 60 }, (_, n) => unseen(200 + n, n % 3 === 0 ? 'brown' : 'wordnet')),
    );
  });

  it('drops dev/test rows seen in pre-training by id (text for rows without one), counted per source and input', async () => {
    const seen = await pretrainingSentences(config);
    expect([...seen.ids]).toEqual([
      [inFacts, 'facts/train'],
      [inDependency, 'dependency/train'],
    ]);
    const data = await loadDownstreamData(config, base, kg('entity-typing'), seen);
    expect(data.splits.dev).toHaveLength(2);
    expect(data.droppedAsSeenInPretraining).toEqual({ dev: 3 });
    expect(data.droppedBySource.dev).toEqual({ 'wordnet-gloss': 1, brown: 1, external: 1 });
    expect(data.droppedByInput.dev).toEqual({
      'facts/train': 1,
      'dependency/train': 1,
      'dependency/train (text match)': 1,
    });
    expect(data.droppedAsSeenInPretraining.train).toBeUndefined();
    expect(data.splits.train).toHaveLength(31);
    expect(data.sourceMix.dev).toEqual({ brown: 1, 'nlp-corpus': 1 });
    expect(data.sourceMix.train).toEqual({ 'nlp-corpus': 30, wordnet: 1 });
  });

  it('caps a split with a seeded hash sample, not the first rows of the file', async () => {
    const seen = await pretrainingSentences(config);
    const data = await loadDownstreamData(config, base, kg('entity-typing'), seen);
    expect(data.sampled.test).toEqual({ read: 60, cap: 20 });
    expect(data.splits.test).toHaveLength(20);
    const ids = data.splits.test.map((e) => e.id);
    const firstTwenty = Array.from({ length: 20 }, (_, n) => `${sid(n % 3 === 0 ? 'brown' : 'wordnet', 300 + n)}:0-3`);
    expect(ids.filter((id) => firstTwenty.includes(id)).length).toBeLessThan(15);
    expect(Object.values(data.sourceMix.test).reduce((a, b) => a + b, 0)).toBe(20);
    // Same seed, same sample; another seed, another.
    expect((await loadDownstreamData(config, base, kg('entity-typing'), seen)).splits.test.map((e) => e.id)).toEqual(
      ids,
    );
    const other = await loadDownstreamData(
      { ...config, eval: { ...config.eval, sampleSeed: 99 } },
      base,
      kg('entity-typing'),
      seen,
    );
    expect(other.splits.test.map((e) => e.id)).not.toEqual(ids);
  });

  it('reads external datasets without sentence_id (the TACRED fixture)', async () => {
    const seen = await pretrainingSentences(config);
    const tacred = downstreamSets(config, 'relation')[0]!;
    expect(tacred).toMatchObject({ name: 'tacred', provenance: 'user', key: 'relation' });
    expect(tacred.dir).toBe(path.join(repoRoot, 'test/fixtures/eval/tacred'));
    const data = await loadDownstreamData(config, base, tacred, seen);
    expect(data.splits.train.length).toBeGreaterThan(20);
    expect(data.sourceMix.train).toEqual({ external: data.splits.train.length });
    expect(unusable(data)).toBeNull();
  });

  it('says why a set cannot be evaluated: not built, a split without usable examples, no relation but no_relation', async () => {
    const seen = await pretrainingSentences(config);
    const [, ner] = downstreamSets(config, 'entity-typing') as [DownstreamSet, DownstreamSet];
    expect(ner).toMatchObject({ name: 'ner', provenance: 'corenlp-ner', key: 'entity-typing@ner', first: false });
    expect(ner.dir).toBe(path.join(config.paths.buildDir, 'heldout', 'ner_typing'));
    expect(setFilesProblem(config, ner)).toMatch(
      /^not built: no folder .*heldout\/ner_typing \(build-data makes it\)$/,
    );
    // Built with an empty test split: the builder found nothing there.
    jsonl(path.join(ner.dir, 'train.jsonl'), [typing(sid('nlp-corpus', 900), 'nlp-corpus', 'Oslo is cold')]);
    jsonl(path.join(ner.dir, 'dev.jsonl'), [typing(sid('nlp-corpus', 901), 'nlp-corpus', 'Oslo is warm')]);
    jsonl(path.join(ner.dir, 'test.jsonl'), []);
    expect(setFilesProblem(config, ner)).toMatch(/^the test split is empty in .*ner_typing$/);
    // Rows, none in the format: a reason, not a crash.
    jsonl(path.join(ner.dir, 'test.jsonl'), [{ ...typing(sid('nlp-corpus', 902), 'nlp-corpus', 'Oslo'), start: 10 }]);
    expect(setFilesProblem(config, ner)).toBeNull();
    expect(await loadSetData(config, base, ner, seen)).toMatchObject({
      data: null,
      reason: expect.stringMatching(/test\.jsonl: no row in the OpenEntity\/FIGER format/),
    });
    // Rows, none usable: the mention lies past the longest input the base takes.
    const long = `${'word '.repeat(80)}Oslo`;
    jsonl(path.join(ner.dir, 'test.jsonl'), [
      { ...typing(sid('nlp-corpus', 903), 'nlp-corpus', long), start: long.length - 4, end: long.length },
    ]);
    const typed = await loadDownstreamData(config, base, ner, seen);
    expect(unusable(typed)).toMatch(
      /^the test split has no usable example \(skipped \{"mention cut by maxLength":1\}\)$/,
    );
    expect(await loadSetData(config, base, ner, seen)).toMatchObject({ data: null, reason: unusable(typed) });
    const kbp = downstreamSets(config, 'relation')[1]!;
    expect(kbp).toMatchObject({ name: 'kbp', provenance: 'corenlp-kbp', key: 'relation@kbp' });
    for (const split of ['train', 'dev', 'test'])
      jsonl(path.join(kbp.dir, `${split}.jsonl`), [
        { ...relation(sid('nlp-corpus', 910), ['Oslo', 'is', 'cold']), relation: 'no_relation' },
      ]);
    const relations = await loadDownstreamData(config, base, kbp, seen);
    expect(unusable(relations)).toMatch(/the train split has no relation besides no_relation \(1 examples\)/);
    // The held-out folders are in the leakage check's file list: the other tests see a build without them.
    for (const dir of [ner.dir, kbp.dir]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds the same sentences as leaks, by id, per pair of files', async () => {
    const report = await findLeaks(config);
    expect(report.leaks).toEqual([
      { evaluated: 'entity-typing/dev', trained: 'dependency/train', ids: [inDependency] },
      { evaluated: 'entity-typing/dev', trained: 'entity-typing/train', ids: [inFacts] },
      { evaluated: 'entity-typing/dev', trained: 'facts/train', ids: [inFacts] },
    ]);
    expect(report.missingSentenceId).toEqual({ 'entity-typing/dev': 1 });
    expect(describeLeaks(report).join('\n')).toMatch(/entity-typing\/dev ∩ facts\/train: 1 sentence ids/);
  });
});

describe('findLeaksIn', () => {
  const source = (label: string, ids: (string | undefined)[]) => ({
    label,
    ids: async function* () {
      yield* ids;
    },
  });
  it('lists the shared ids of every evaluated × trained pair, and nothing when none is shared', async () => {
    const evaluated = [source('pos/test', ['a', 'b']), source('relation/dev', ['c', undefined])];
    const clean = await findLeaksIn(evaluated, [source('dependency/train', ['x', 'y'])]);
    expect(clean.leaks).toEqual([]);
    expect(clean.rows).toEqual({ 'pos/test': 2, 'relation/dev': 2, 'dependency/train': 2 });
    expect(describeLeaks(clean).at(-1)).toBe('no evaluated sentence id is in any trained file');
    const leaky = await findLeaksIn(evaluated, [
      source('dependency/train', ['b', 'c', 'a']),
      source('facts/dev', ['c']),
    ]);
    expect(leaky.leaks).toEqual([
      { evaluated: 'pos/test', trained: 'dependency/train', ids: ['a', 'b'] },
      { evaluated: 'relation/dev', trained: 'dependency/train', ids: ['c'] },
      { evaluated: 'relation/dev', trained: 'facts/dev', ids: ['c'] },
    ]);
  });
});
