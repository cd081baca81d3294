// The knowledge tasks that pre-train adapters, as registered modules (AdapterHub's MODEL_HEAD_MAP):
// each owns its data (the build's split files and a user's file), its encoding, its head (config,
// weights, logits), its loss, its dev scoring and trivial baselines, and how its scores print.
// Generic code — adapter training, the multi-task base, adapter folders, the train stage and the
// library API — asks this registry and never compares a task's name.
import type * as tf from '@tensorflow/tfjs';
import type { z } from 'zod';
import type { Config } from '../../config/schema.ts';
import type { EncodedExample } from '../../data/schemas.ts';
import type { Initializer } from '../../kadapter/adapter.ts';
import type { BaseModel } from '../../kadapter/base-model.ts';
import type { Skips } from '../../kadapter/examples.ts';
import { UsageError } from '../../util/errors.ts';

/** Dev metrics: the example count and mean loss, and each task's own scores by name. */
export type DevMetrics = { examples: number; loss: number } & Record<string, number>;

/** One dev example's gold and predicted labels, for predictions-dev.jsonl. */
export interface Prediction {
  id: string;
  gold: string | number[];
  predicted: string | number[];
}

/** A task's examples, read and encoded: the train and dev splits, with counts of what was skipped. */
export interface KnowledgeData<E extends EncodedExample = EncodedExample> {
  /** The head's label ids in logit order, where the task classifies into labels. */
  labels: string[];
  splits: Record<'train' | 'dev', E[]>;
  skips: Record<string, Skips>;
  /** Rows read per split (all of them: a capped split is a sample of every row). */
  read: Record<string, number>;
  /** Examples kept per split and source (the mix of the sample). */
  sourceMix: Record<'train' | 'dev', Record<string, number>>;
}

/** Accumulates a dev pass batch by batch: predictions, then the task's scores. */
export interface DevScorer<E extends EncodedExample = EncodedExample> {
  /** argmax of the batch's logits: [B] for a label per example, [B][T] for a position per token. */
  add(examples: E[], argmax: number[] | number[][]): Prediction[];
  scores(): Record<string, number>;
}

/** The head's settings as head_config.json holds them; `kind` names the task. */
export interface HeadSettings {
  kind: string;
  hidden: number;
  /** Whether features fuse an adapter's output with h_L. */
  fuse: boolean;
  /** The task's own fields (its module's schema checks them). */
  [field: string]: unknown;
}

export interface KnowledgeTask<E extends EncodedExample = EncodedExample, H extends HeadSettings = HeadSettings> {
  /** The task's name, as encoded examples and head_config.json carry it. */
  readonly name: E['task'];
  /** The knowledge adapter trained on it in the pipeline (runs/<adapter>/…). */
  readonly adapter: string;
  /** The dev score a run is judged by (a key of its metrics). */
  readonly mainMetric: string;
  /** What a user's file for trainAdapterFromJsonl holds, in a phrase. */
  readonly fileFormat: string;
  /**
   * The build files its pre-training reads (train and dev data alike), by label: what the leakage
   * check and the seen-in-pre-training filter read. Files not built are left out.
   */
  inputs(config: Config): { label: string; files: string[] }[];
  /** The sentences of one of those files: the sentence id and the words. */
  sentences(file: string): AsyncIterable<{ id: string; words: string[] }>;
  /** The build's train and dev examples (config caps and seeds), sampled by hash of the id. */
  loadBuild(config: Config, base: BaseModel, maxTrain: number | null): Promise<KnowledgeData<E>>;
  /** A user's train and dev files. */
  loadFiles(files: { train: string; dev: string }, base: BaseModel, maxLength: number): Promise<KnowledgeData<E>>;
  /** The head for this data on a base of hidden size H. */
  head(config: Config, hidden: number, data: KnowledgeData<E>, fuse: boolean): H;
  readonly headSchema: z.ZodType<H>;
  /** Head weights by name (head.safetensors' names), seeded. */
  initHead(head: H, init: Initializer): Record<string, tf.Variable>;
  /** Logits on features f [B, T, H]: [B, C] for labels, [B, T, T] for positions. */
  logits(head: H, weights: Record<string, tf.Variable>, f: tf.Tensor3D, examples: E[]): tf.Tensor;
  loss(logits: tf.Tensor, examples: E[]): tf.Scalar;
  scorer(head: H): DevScorer<E>;
  /** Trivial scores on the dev split (their loss undefined: NaN). */
  trivialBaselines(data: KnowledgeData<E>): Record<string, DevMetrics>;
  /** The task's scores in one line. */
  format(m: DevMetrics): string;
  /** Its columns in the train stage's table ('' where m lacks the task's scores). */
  columns(m: Partial<DevMetrics>): Record<string, string>;
}

// The registry holds tasks with their own example and head types erased.
type AnyKnowledgeTask = KnowledgeTask<EncodedExample, HeadSettings>;
const TASKS = new Map<string, AnyKnowledgeTask>();

export function registerKnowledgeTask<E extends EncodedExample, H extends HeadSettings>(t: KnowledgeTask<E, H>): void {
  if (TASKS.has(t.name)) throw new Error(`knowledge task ${t.name} is registered twice`);
  TASKS.set(t.name, t as unknown as AnyKnowledgeTask);
}

export function knowledgeTask(name: string): AnyKnowledgeTask {
  const t = TASKS.get(name);
  if (!t) throw new UsageError(`unknown knowledge task "${name}"; registered: ${[...TASKS.keys()].join(', ')}`);
  return t;
}

export const knowledgeTasks = (): AnyKnowledgeTask[] => [...TASKS.values()];

/** The task the pipeline trains an adapter of this name on. */
export function taskOfAdapter(adapter: string): AnyKnowledgeTask {
  const t = knowledgeTasks().find((k) => k.adapter === adapter);
  if (!t) throw new UsageError(`no knowledge task trains an adapter named "${adapter}"`);
  return t;
}

/** Every file the knowledge pre-training reads (the adapters and the multi-task base), with its task. */
export function pretrainingInputs(config: Config): { label: string; file: string; task: AnyKnowledgeTask }[] {
  return knowledgeTasks().flatMap((task) =>
    task.inputs(config).flatMap(({ label, files }) => files.map((file) => ({ label, file, task }))),
  );
}

/** A task's head settings from head_config.json (its kind names the task). */
export function readHeadSettings(raw: unknown): HeadSettings {
  const kind = typeof raw === 'object' && raw !== null && 'kind' in raw ? String(raw.kind) : '';
  return knowledgeTask(kind).headSchema.parse(raw);
}
