// The downstream tasks that the adapters are evaluated on, as registered modules (AdapterHub's
// MODEL_HEAD_MAP): each owns its sets and how their rows are read and encoded, the width of its
// task head, its targets, loss and predictions, its scores and main metric, its predictions-file
// fields, its report title and the paper's numbers. Generic code — the task layers, the
// evaluation matrix, the sets, the report, the verified sets, the leakage check, the evaluate and
// ablate stages and the library's scoring — asks this registry and never compares a task's name.
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { TaskName, type Config } from '../../config/schema.ts';
import type { Split } from '../../data/schemas.ts';
import type { Skips } from '../../kadapter/examples.ts';
import type { BaseTokenizer } from '../../kadapter/tokenizer.ts';
import { UsageError } from '../../util/errors.ts';

/** A downstream example, encoded for the base. */
export interface TaskExample {
  id: string;
  ids: number[];
  /** Positions pooled: [@] for typing, [@, #] for relations, every word for POS. */
  positions: number[];
  /** Gold labels as strings: the label set (typing), [relation], or one tag per position (POS). */
  gold: string[];
}

/** Scores by metric name. */
export type Scores = Record<string, number>;

/**
 * A task's main metric as totals over examples: `k` counts per example (typing |p∩g|, |p|, |g|;
 * relations correct, guessed, actual; POS correct and all words of a sentence) and the metric
 * from their sums. On any resample it equals the task's main score exactly (sums of integers),
 * so the bootstrap adds counts instead of scoring every output again.
 */
export interface MetricCounts {
  k: number;
  /** [n × k], example by example. */
  counts: Float64Array;
  of(totals: number[]): number;
}

/** A row of a split on its way to the sample: what the pre-training filter, the sampler and the counts need. */
export interface Candidate {
  /** Stable id for the sample's hash order. */
  key: string;
  source: string;
  sentenceId?: string | undefined;
  text: string;
  encode: () => TaskExample | null;
}

/** How a task's rows are encoded: the base's tokenizer, the longest input, and where skips are counted. */
export interface Encoding {
  tokenizer: BaseTokenizer;
  maxLength: number;
  skips: Skips;
}

/** Where a downstream set's labels come from. */
export const SET_PROVENANCES = ['kg-distant-supervision', 'corenlp-ner', 'corenlp-kbp', 'user', 'brown-gold'] as const;
export const SetProvenance = z.enum(SET_PROVENANCES);
export type SetProvenance = z.infer<typeof SetProvenance>;

/** A set that build-data makes: where its labels come from and its folder. */
export interface BuiltSet {
  provenance: SetProvenance;
  dir(config: Config): string;
}

/**
 * Sets in the task's file format, each a folder of train, dev and test (.json or .jsonl):
 * eval.sets lists them by task, the built ones by name and users' folders by path.
 */
export interface FolderSets {
  kind: 'folders';
  /** The sets build-data makes for this task, by name. */
  built: Readonly<Record<string, BuiltSet>>;
  /** A split file's rows as candidates. */
  read(file: string, e: Encoding): AsyncIterable<Candidate>;
  /** A whole file, encoded: scoring any file with a trained row. */
  encodeFile(file: string, e: Encoding): TaskExample[];
}

/** One set of the build's own data, with no file format of its own (POS: the Brown sentences of the dependency data). */
export interface BuildSet extends BuiltSet {
  kind: 'build';
  name: string;
  /** What the report says after the set's folder. */
  note: string;
  /** Why its files cannot be read (`where`: its folder for the message), or null. */
  filesProblem(config: Config, where: string): string | null;
  read(config: Config, split: Split, e: Encoding): AsyncIterable<Candidate>;
}

/** The files of a split whose sentence ids the leakage check reads: `sentence_id` of each row, or the `id` of rows of one source. */
export type IdFiles = { files: string[]; id: 'sentence_id' } | { files: string[]; id: 'id'; source: string };

/**
 * A downstream task. `P` is one example's prediction: the label-set logits (typing), the relation
 * (relations), a tag per word (POS). Methods, not function-valued fields, so that a task of any `P`
 * is stored as a task of `unknown` predictions, which generic code hands back to it unopened.
 */
export interface DownstreamTask<P = unknown> {
  /** Its name: eval.tasks, results.json's keys, runs/<task>, datasets/verified/<task>. */
  readonly name: string;
  /** Its heading in the report. */
  readonly title: string;
  readonly sets: FolderSets | BuildSet;
  /** The metric it is ranked by: dev model selection, tables, the bootstrap. */
  readonly mainMetric: string;
  /** The report table's columns: score key and heading. */
  readonly columns: readonly (readonly [string, string])[];
  /** The paper's numbers by row id (RoBERTa-large on the original dataset), or null where the paper has none. */
  readonly paper: Readonly<Record<string, number>> | null;
  /** Whether its first set gets the data-efficiency curve (k training examples per label). */
  readonly dataEfficiencyCurve: boolean;
  /** Pooled positions read together for one prediction: the head reads k·H. */
  readonly positionsPerPrediction: number;
  /** The head's labels from the training split's labels (sorted, distinct). */
  labels(train: string[]): string[];
  /** Why a split's examples cannot be scored, besides having none (`has …`), or null. */
  splitProblem(examples: TaskExample[]): string | null;
  /** The targets of a batch of examples; `index` numbers the labels, an unseen label has none. */
  targets(examples: TaskExample[], index: ReadonlyMap<string, number>): tf.Tensor;
  /** The loss of logits [predictions, labels] against `targets`. */
  loss(logits: tf.Tensor2D, targets: tf.Tensor): tf.Scalar;
  /** Each example's prediction from the batch's logits, one row per prediction. */
  predict(logits: number[][], examples: TaskExample[], labels: string[]): P[];
  /** Its metrics of predictions against gold labels (one entry per example each). */
  score(labels: string[], gold: string[][], predictions: P[]): Scores;
  /** Its main metric as counts per example (the bootstrap's). */
  mainMetricCounts(labels: string[], gold: string[][], predictions: P[]): MetricCounts;
  /** An example's line of predictions-test.jsonl after its id. */
  predictionLine(example: TaskExample, prediction: P): Record<string, unknown>;
  /** The prediction a line of predictions-test.jsonl holds (the verified sets rescore runs from them). */
  readPrediction(line: Record<string, unknown>): P;
  /** The built files of a split that the leakage check reads for it, or null (a train split read elsewhere). */
  leakageFiles(config: Config, split: Split): IdFiles | null;
}

const TASKS = new Map<string, DownstreamTask>();

/** Registers a task under its name; a name registered twice is an error. */
export function registerDownstreamTask<P>(t: DownstreamTask<P>): void {
  if (TASKS.has(t.name)) throw new Error(`downstream task ${t.name} is registered twice`);
  const named = TaskName.safeParse(t.name);
  if (!named.success) throw new Error(`downstream task "${t.name}": ${named.error.issues[0]!.message}`);
  TASKS.set(t.name, t);
}

export const downstreamTaskNames = (): string[] => [...TASKS.keys()];

/** The registered task of this name, or undefined (a results file of a task this process does not know). */
export const findDownstreamTask = (name: string): DownstreamTask | undefined => TASKS.get(name);

export function downstreamTask(name: string): DownstreamTask {
  const t = TASKS.get(name);
  if (!t) throw new UsageError(`unknown downstream task "${name}"; registered: ${downstreamTaskNames().join(', ')}`);
  return t;
}
