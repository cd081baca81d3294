// The downstream tasks' data: train/dev/test of each set, read and encoded by its task
// (src/tasks/downstream), with the
// sentences the adapters saw in pre-training dropped from dev and test (counted by split, source
// and pre-training input), capped splits sampled by a seeded hash of the row id (never file
// order; streamed), each split's source mix, and the seeded subsets of the data-efficiency curve.
//
// Seen in pre-training: a row that carries `sentence_id` (the project's own data) is matched by
// that id against the ids of every pre-training input (src/tasks/knowledge `pretrainingInputs`:
// facts/train, facts/dev, dependency/train — all the adapters and the multi-task base read, train
// and dev alike); a row without one (an external TACRED/OpenEntity file) by its text without white
// space. By the split rule (src/data/splits.ts) the built data has nothing to drop; the filter is
// the check that stays on for every evaluation and for external data.
import type { Config } from '../config/schema.ts';
import { setSplitFile } from '../data/layout.ts';
import { pretrainingInputs } from '../tasks/knowledge/index.ts';
import { SPLITS, type Split } from '../data/schemas.ts';
import type { BaseModel } from '../kadapter/base-model.ts';
import type { Skips } from '../kadapter/examples.ts';
import { mulberry32, shuffled } from '../kadapter/rng.ts';
import type { BaseTokenizer } from '../kadapter/tokenizer.ts';
import { downstreamTask, downstreamTaskNames, type Candidate, type TaskExample } from '../tasks/downstream/index.ts';
import { UsageError, UserError } from '../util/errors.ts';
import { countBy, sampleStream } from '../util/sample.ts';
import { setFilesProblem, setSource, type DownstreamSet } from './sets.ts';

/** Sentence identity across formats when there is no id: the characters without whitespace. */
const sentenceKey = (s: string) => s.replace(/\s+/g, '');

/** The sentences of the knowledge pre-training's inputs, by id and by text. */
export interface PretrainingSentences {
  /** Sentence id → the first pre-training input it is in (`facts/train`, `facts/dev`, `dependency/train`). */
  ids: Map<string, string>;
  /** Text without white space → that input: the match for rows without `sentence_id` (external data). */
  texts: Map<string, string>;
}

/** Sentences the adapters and the multi-task base were pre-trained on (their train and dev inputs). */
export async function pretrainingSentences(config: Config): Promise<PretrainingSentences> {
  const seen: PretrainingSentences = { ids: new Map(), texts: new Map() };
  const add = (id: string, text: string, label: string) => {
    if (!seen.ids.has(id)) seen.ids.set(id, label);
    const key = sentenceKey(text);
    if (!seen.texts.has(key)) seen.texts.set(key, label);
  };
  for (const input of pretrainingInputs(config))
    for await (const s of input.task.sentences(input.file)) add(s.id, s.words.join(''), input.label);
  return seen;
}

/**
 * Where a sentence was seen in pre-training: the input's label (a text match says so), or null.
 * A row with a sentence id is judged by the id alone.
 */
export function seenInPretraining(
  seen: PretrainingSentences,
  row: { sentenceId?: string | undefined; text: string },
): string | null {
  if (row.sentenceId !== undefined) return seen.ids.get(row.sentenceId) ?? null;
  const input = seen.texts.get(sentenceKey(row.text));
  return input === undefined ? null : `${input} (text match)`;
}

export interface DownstreamData {
  /** The task's name (src/tasks/downstream). */
  task: string;
  labels: string[];
  splits: Record<Split, TaskExample[]>;
  skipped: Record<string, Skips>;
  source: string;
  unseenTestLabels: Record<string, number>;
  /** Dev/test rows dropped because their sentence was in pre-training, per split. */
  droppedAsSeenInPretraining: Record<string, number>;
  /** The same rows per split and the row's source (`external` for rows of datasets without one). */
  droppedBySource: Record<Split, Record<string, number>>;
  /** The same rows per split and the pre-training input they were found in (`… (text match)` without an id). */
  droppedByInput: Record<Split, Record<string, number>>;
  /** Examples kept per split and source: each split's source mix after the caps. */
  sourceMix: Record<Split, Record<string, number>>;
  /** Rows read per split (before the filter and the cap) and the cap applied (null = none). */
  sampled: Record<Split, { read: number; cap: number | null }>;
}

/** The training examples a task's sets are capped at (eval.maxTrain; a task not there: all). */
export const maxTrainOf = (config: Config, task: string): number | null => config.eval.maxTrain[task] ?? null;

/** A set's three splits, encoded for the base (a split may come out empty: see `unusable`). */
export async function loadDownstreamData(
  config: Config,
  base: BaseModel,
  set: DownstreamSet,
  seen: PretrainingSentences,
  trainCap = maxTrainOf(config, set.task),
): Promise<DownstreamData> {
  const { task } = set;
  const t = downstreamTask(task);
  const reader = t.sets;
  const maxLength = Math.min(config.model.maxLength, base.maxLength);
  const skipped: Record<string, Skips> = { train: {}, dev: {}, test: {} };
  const splits = { train: [], dev: [], test: [] } as Record<Split, TaskExample[]>;
  const dropped: Record<string, number> = {};
  const droppedBySource: Record<Split, Record<string, number>> = { train: {}, dev: {}, test: {} };
  const droppedByInput: Record<Split, Record<string, number>> = { train: {}, dev: {}, test: {} };
  const sourceMix: Record<Split, Record<string, number>> = { train: {}, dev: {}, test: {} };
  const caps: Record<Split, number | null> = { train: trainCap, dev: config.eval.maxDev, test: config.eval.maxTest };
  const sampled = {} as DownstreamData['sampled'];
  const bump = (counts: Record<string, number>, key: string) => (counts[key] = (counts[key] ?? 0) + 1);

  /** Candidates of one split, less those seen in pre-training (dev and test only; counted). */
  async function* unseen(split: Split, rows: AsyncIterable<Candidate>): AsyncIterable<Candidate> {
    let read = 0;
    for await (const c of rows) {
      read++;
      const input = split === 'train' ? null : seenInPretraining(seen, c);
      if (input !== null) {
        bump(dropped, split);
        bump(droppedBySource[split], c.source);
        bump(droppedByInput[split], input);
        continue;
      }
      yield c;
    }
    sampled[split] = { read, cap: caps[split] };
  }
  const take = async (split: Split, rows: AsyncIterable<Candidate>) => {
    const { items } = await sampleStream(unseen(split, rows), {
      cap: caps[split],
      seed: config.eval.sampleSeed,
      idOf: (c) => c.key,
      make: (c) => {
        const e = c.encode();
        return e && { e, source: c.source };
      },
    });
    splits[split] = items.map((i) => i.e);
    sourceMix[split] = countBy(items, (i) => i.source);
  };

  const source = reader.kind === 'build' ? `${setSource(set)} ${reader.note}` : setSource(set);
  for (const split of SPLITS) {
    const encoding = { tokenizer: base.tokenizer, maxLength, skips: skipped[split]! };
    if (reader.kind === 'build') {
      await take(split, reader.read(config, split, encoding));
      continue;
    }
    const file = setSplitFile(set.dir, split);
    if (!file) throw new UserError(`${task} set ${set.name}: no ${split}.json or ${split}.jsonl in ${set.dir}`);
    await take(split, reader.read(file, encoding));
  }
  const trainLabels = [...new Set(splits.train.flatMap((e) => e.gold))].sort();
  const unseenTest = unseenLabels(splits.test, trainLabels);
  return {
    task,
    labels: t.labels(trainLabels),
    splits,
    skipped,
    source,
    unseenTestLabels: unseenTest,
    droppedAsSeenInPretraining: dropped,
    droppedBySource,
    droppedByInput,
    sourceMix,
    sampled,
  };
}

/**
 * Why a set's loaded splits cannot be evaluated, or null: a split with no usable example, or one
 * its task cannot score (relations: no relation besides no_relation, which no micro-F1 scores).
 */
export function unusable(data: DownstreamData): string | null {
  const task = downstreamTask(data.task);
  const problems = SPLITS.flatMap((split) => {
    const examples = data.splits[split];
    if (examples.length === 0)
      return [`the ${split} split has no usable example (skipped ${JSON.stringify(data.skipped[split])})`];
    const problem = task.splitProblem(examples);
    return problem === null ? [] : [`the ${split} split has ${problem}`];
  });
  return problems.length ? problems.join('; ') : null;
}

/**
 * A set's data, or why it cannot be evaluated — its files (not built, a split missing or empty), a
 * split file with no row in the task's format, or `unusable` — so that one set's problem is a line
 * in the report and the other sets go on.
 */
export async function loadSetData(
  config: Config,
  base: BaseModel,
  set: DownstreamSet,
  seen: PretrainingSentences,
  trainCap = maxTrainOf(config, set.task),
): Promise<{ data: DownstreamData; source: string } | { data: null; source: string; reason: string }> {
  const missing = setFilesProblem(config, set);
  if (missing) return { data: null, source: setSource(set), reason: missing };
  let data: DownstreamData;
  try {
    data = await loadDownstreamData(config, base, set, seen, trainCap);
  } catch (err) {
    if (err instanceof UserError) return { data: null, source: setSource(set), reason: err.message };
    throw err;
  }
  const reason = unusable(data);
  return reason ? { data: null, source: data.source, reason } : { data, source: data.source };
}

/** The examples of a training set with at most k per label, by each example's first label (seeded choice): the data-efficiency curve's. */
export function perRelationSubset(examples: TaskExample[], k: number, seed: number): number[] {
  const by = new Map<string, number[]>();
  examples.forEach((e, i) => by.set(e.gold[0]!, [...(by.get(e.gold[0]!) ?? []), i]));
  const rand = mulberry32(seed);
  return [...by.keys()]
    .sort()
    .flatMap((rel) => shuffled(by.get(rel)!, rand).slice(0, k))
    .sort((a, b) => a - b);
}

/**
 * A whole file in the format of a task whose sets are folders (entity typing, relations), encoded;
 * skips counted. (Scoring a file with a trained row; the evaluation's own splits are filtered and
 * sampled by loadDownstreamData.)
 */
export function encodeTaskFile(
  task: string,
  file: string,
  tokenizer: BaseTokenizer,
  maxLength: number,
  skips: Skips,
): TaskExample[] {
  const reader = downstreamTask(task).sets;
  if (reader.kind !== 'folders') {
    const withFiles = downstreamTaskNames().filter((t) => downstreamTask(t).sets.kind === 'folders');
    throw new UsageError(`${task} reads the build's own data, no file: a file is scored for ${withFiles.join(' or ')}`);
  }
  return reader.encodeFile(file, { tokenizer, maxLength, skips });
}

/** Gold labels of examples that are not among the labels a model was trained on, with counts. */
export function unseenLabels(examples: TaskExample[], labels: string[]): Record<string, number> {
  const known = new Set(labels);
  const unseen: Record<string, number> = {};
  for (const e of examples) for (const g of e.gold) if (!known.has(g)) unseen[g] = (unseen[g] ?? 0) + 1;
  return unseen;
}
