// The files the project writes and reads back — manifests, markers, adapter folders, feature
// caches, checkpoints, reports — typed once here and validated when read (src/util/json-file.ts).
// The types are the schemas' (z.infer); the modules that write the files use them too.
import { z } from 'zod';
import { DOWNSTREAM_TASKS } from '../config/schema.ts';
import { EncodedDependency, EncodedRelation } from './schemas.ts';

const count = z.number().int().min(0);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex');

// ---- stage manifests and resume markers (src/util/manifest.ts, pipeline/*-data.ts)

/** A file a stage wrote, as its manifest records it; paths are relative to the stage folder. */
export const WrittenFile = z.strictObject({ file: z.string().min(1), lines: count, bytes: count, sha256 });
export type WrittenFile = z.infer<typeof WrittenFile>;

/** <stage folder>/manifest.json: what a stage read, its parameters, what it wrote and skipped, timings, tools. */
export const StageManifest = z.strictObject({
  stage: z.string().min(1),
  profile: z.string().min(1),
  complete: z.boolean(),
  inputsHash: z.string().min(1),
  inputs: z.record(z.string(), z.unknown()),
  parameters: z.record(z.string(), z.unknown()),
  counts: z.record(z.string(), z.unknown()),
  skipped: z.record(z.string(), z.unknown()),
  outputs: z.array(WrittenFile),
  timings: z.record(z.string(), z.number()),
  tools: z.record(z.string(), z.unknown()),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type StageManifest = z.infer<typeof StageManifest>;

/** What a sentence source yielded while planning: records read, sentences split, kept, skipped by reason. */
export const SourceCounts = z.strictObject({
  read: count,
  sentences: count,
  kept: count,
  skipped: z.record(z.string(), count),
  /** Input files with no text line (each also warned about on stderr). */
  emptyFiles: count.optional(),
});
export type SourceCounts = z.infer<typeof SourceCounts>;

/** dependency/plan.meta.json: the plan (plan.jsonl) is complete for these inputs. */
export const PlanMeta = z.strictObject({
  inputsHash: z.string().min(1),
  sentences: count,
  counts: z.record(z.string(), SourceCounts),
  seconds: z.number().min(0),
});
export type PlanMeta = z.infer<typeof PlanMeta>;

/** dependency/shards/NNNNN.done.json: the shard is parsed and its outputs written. */
export const ShardDone = z.strictObject({
  inputsHash: z.string().min(1),
  outputs: z.array(WrittenFile),
  skipped: z.record(z.string(), count),
  seconds: z.number().min(0),
});
export type ShardDone = z.infer<typeof ShardDone>;

/** facts/relations.json: the relations kept, in label order (no_relation last), with example counts per split. */
export const RelationsFile = z
  .array(z.strictObject({ id: z.string().min(1), label: z.string(), counts: z.record(z.string(), count) }))
  .min(1);
export type RelationsFile = z.infer<typeof RelationsFile>;

// ---- base models (src/kadapter/base-model.ts, model-fetch.ts)

/** <model folder>/kadapter-source.json: where a base came from (model:fetch) or what trained it; only `id` is read. */
/**
 * kadapter-source.json beside a base model: its hub id, and for folders this project wrote (the
 * multi-task base, fine-tuned bases) the base they were trained from, so that adapters of that base
 * load onto them.
 */
export const ModelSource = z.looseObject({
  id: z.string().min(1),
  revision: z.string().min(1).optional(),
  derivedFrom: z.looseObject({ name: z.string().min(1), sha256 }).optional(),
});
export type ModelSource = z.infer<typeof ModelSource>;

// ---- adapter folders (src/kadapter/adapter-files.ts)

export const ADAPTER_FORMAT = 'kadapter-adapter/2';
const ADAPTER_FORMAT_V1 = 'kadapter-adapter/1';

export const AdapterConfig = z.strictObject({
  /** Hidden size H of the base the adapter reads. */
  baseHidden: z.number().int().min(1),
  /** Base layers read by the adapter layers, in order (0 = embeddings). */
  readLayers: z.array(z.number().int().min(0)).min(1),
  /** Adapter width A; heads = max(1, A / 64), FFN 4A. */
  size: z.number().int().min(1),
  /** Transformer layers inside each adapter layer (N). */
  layers: z.number().int().min(1),
  chain: z.enum(['sum', 'concat']),
  /** Std of the down/up projections' initial weights. */
  initStd: z.number().positive(),
  layerNormEps: z.number().positive(),
});
export type AdapterConfig = z.infer<typeof AdapterConfig>;

export const HEAD_KINDS = ['relation', 'dependency'] as const;
export const HeadKind = z.enum(HEAD_KINDS);
export type HeadKind = z.infer<typeof HeadKind>;

/** head_config.json. The kind-dependent field is checked by kind when read; the type keeps both optional. */
export const HeadConfig = z
  .strictObject({
    kind: HeadKind,
    hidden: z.number().int().min(1),
    /** Whether features fuse an adapter's output with h_L. */
    fuse: z.boolean(),
    /** relation: label ids in logit order. */
    labels: z.array(z.string()).min(1).optional(),
    /** dependency: width of the query/key projections. */
    scoreDim: z.number().int().min(1).optional(),
  })
  .superRefine((head, ctx) => {
    const need = head.kind === 'relation' ? 'labels' : 'scoreDim';
    if (head[need] === undefined)
      ctx.addIssue({ code: 'custom', path: [need], message: `required for a ${head.kind} head` });
  });
export type HeadConfig = z.infer<typeof HeadConfig>;

/** The adapter's shape as adapter_config.json writes it: with what the code fixes, for other readers. */
export const AdapterFileShape = AdapterConfig.extend({
  architecture: z.literal('k-adapter'),
  /** Of the adapter's transformer layers: BERT's exact (erf) GELU. */
  activation: z.literal('gelu'),
  /** Attention heads of the adapter's transformer layers: max(1, size / 64). */
  heads: z.number().int().min(1),
});
export type AdapterFileShape = z.infer<typeof AdapterFileShape>;

const AdapterFileCommon = {
  /** factual or linguistic (or any name a user gives). */
  name: z.string().min(1),
  task: HeadKind,
  /** Base layer fused with the adapter's output by the head (L). */
  lastLayer: z.number().int().min(0),
  /**
   * 'none': no knowledge head in the folder (an adapter imported from a format whose head has no
   * equivalent here); absent: head_config.json and head.safetensors are there.
   */
  head: z.literal('none').optional(),
  parameters: z.strictObject({ adapter: count, head: count, base: count, adapterShareOfBase: z.number().min(0) }),
  training: z.record(z.string(), z.unknown()).optional(),
};

/**
 * adapter_config.json, written last (a folder that has it is complete). AdapterHub's fields —
 * name, version (of the library that wrote it), model_name, model_type, model_class, hidden_size,
 * config — and the base's provenance: its revision and the sha256 of its weights file, so that an
 * adapter is refused on a base whose weights differ, not only on one of another shape.
 */
export const AdapterFileConfig = z.strictObject({
  format: z.literal(ADAPTER_FORMAT),
  ...AdapterFileCommon,
  version: z.string().min(1),
  model_name: z.string().min(1),
  model_type: z.string().min(1),
  model_class: z.string().min(1),
  hidden_size: z.number().int().min(1),
  model_layers: z.number().int().min(1),
  model_revision: z.string().min(1).nullable(),
  /** sha256 of the base's model.safetensors; null only for files of the first format, which lack it. */
  model_sha256: sha256.nullable(),
  config: AdapterFileShape,
});
export type AdapterFileConfig = z.infer<typeof AdapterFileConfig>;

/** The first format (no provenance), read as the current one with the base's hash unknown. */
const AdapterFileConfigV1 = z
  .strictObject({
    format: z.literal(ADAPTER_FORMAT_V1),
    ...AdapterFileCommon,
    base: z.strictObject({
      name: z.string().min(1),
      modelType: z.string(),
      hidden: z.number().int().min(1),
      layers: z.number().int().min(1),
    }),
    adapter: AdapterConfig,
  })
  .transform(({ base, adapter, format: _format, ...rest }): AdapterFileConfig => ({
    format: ADAPTER_FORMAT,
    ...rest,
    version: 'unknown',
    model_name: base.name,
    model_type: base.modelType,
    model_class: 'unknown',
    hidden_size: base.hidden,
    model_layers: base.layers,
    model_revision: null,
    model_sha256: null,
    config: {
      architecture: 'k-adapter',
      ...adapter,
      activation: 'gelu',
      heads: Math.max(1, Math.floor(adapter.size / 64)),
    },
  }));

/** adapter_config.json of either format, as the current one. */
export const AdapterFileConfigAnyFormat = z.union([AdapterFileConfig, AdapterFileConfigV1]);

// ---- the official K-Adapter code's settings (src/kadapter/k-adapter-format.ts)

/**
 * k_adapter_config.json beside an exported state dict: the official scripts' adapter arguments and
 * the fields of their AdapterConfig class, under the official names.
 */
export const KAdapterSettings = z.strictObject({
  /** --adapter_list: base layers read, in order (0 = embeddings). */
  adapter_list: z.array(z.number().int().min(0)).min(1),
  /** --adapter_size: A. */
  adapter_size: z.number().int().min(1),
  /** --adapter_transformer_layers: N. */
  adapter_transformer_layers: z.number().int().min(1),
  /** --adapter_skip_layers: extra skip connections every s adapters when 1 ≤ s ≤ the adapter count. */
  adapter_skip_layers: z.number().int(),
  /** AdapterConfig.project_hidden_size: the base's hidden size H. */
  project_hidden_size: z.number().int().min(1),
  /** AdapterConfig.hidden_size: the adapter encoder's width (the official class hard-codes 768). */
  hidden_size: z.number().int().min(1),
  /** AdapterConfig.intermediate_size (hard-coded 3072). */
  intermediate_size: z.number().int().min(1),
  /** AdapterConfig.num_attention_heads (hard-coded 12). */
  num_attention_heads: z.number().int().min(1),
  hidden_act: z.string(),
  /** AdapterConfig.layer_norm_eps (hard-coded 1e-5). */
  layer_norm_eps: z.number().positive(),
  /** AdapterConfig.adapter_initializer_range: std of the down/up projections' initial weights. */
  adapter_initializer_range: z.number().positive(),
});
export type KAdapterSettings = z.infer<typeof KAdapterSettings>;

// ---- feature caches (src/kadapter/features.ts)

export const FeatureDType = z.enum(['float16', 'float32']);
export type FeatureDType = z.infer<typeof FeatureDType>;

/** <cache folder>/manifest.json. */
export const FeatureManifest = z.strictObject({
  complete: z.boolean(),
  /** What the cache was built from; a different key rebuilds it. */
  key: z.string(),
  model: z.string(),
  hidden: z.number().int().min(1),
  /** Base layers stored (0 = embeddings), ascending. */
  layers: z.array(z.number().int().min(0)).min(1),
  dtype: FeatureDType,
  examples: count,
  tokens: count,
  shards: z.array(z.strictObject({ name: z.string().regex(/^shard-\d+$/), examples: count, bytes: count, sha256 })),
  backend: z.string(),
  seconds: z.number().min(0),
  tokensPerSecond: z.number().min(0),
});
export type FeatureManifest = z.infer<typeof FeatureManifest>;

/** Where an example's hidden states start in its shard's .bin (in values) and its length in tokens. */
const Stored = { offset: count, length: z.number().int().min(1) };

/** One line of shard-NNNNN.jsonl: an encoded example and where its hidden states are. */
export const CachedExample = z.discriminatedUnion('task', [
  EncodedRelation.extend(Stored),
  EncodedDependency.extend(Stored),
]);
export type CachedExample = z.infer<typeof CachedExample>;

// ---- training runs (src/kadapter/train.ts and its checkpoint)

/** Dev metrics after an epoch: relation fields for the factual task, uas/words for the dependency task. */
export const DevMetrics = z.strictObject({
  examples: count,
  loss: z.number(),
  /** relation */
  microF1: z.number().optional(),
  microP: z.number().optional(),
  microR: z.number().optional(),
  macroF1: z.number().optional(),
  accuracy: z.number().optional(),
  /** dependency: unlabelled attachment score over labelled words */
  uas: z.number().optional(),
  words: count.optional(),
});
export type DevMetrics = z.infer<typeof DevMetrics>;

/** <run>/checkpoint/state.json, beside state.safetensors. */
export const CheckpointState = z.strictObject({
  /** Hash of what the run trains; a checkpoint of another config is not resumed. */
  configHash: z.string().min(1),
  step: count,
  dev: z.array(DevMetrics),
  seconds: z.number().min(0),
  /** The train loss accumulated since the last log line, so a resumed log is the same. */
  lossAcc: z.number(),
  lossCount: count,
});
export type CheckpointState = z.infer<typeof CheckpointState>;

/** <build>/runs/<adapter>/seed-N/summary.json: what the train stage reads back of a finished run. */
export const TrainRunSummary = z.looseObject({
  adapter: z.string(),
  seed: z.number().int(),
  seconds: z.number().min(0),
  dev: DevMetrics,
  /** Trained parameters: the adapter's and its head's, or (multi-task) the base's. */
  parameters: z.looseObject({ adapter: count.optional(), base: count.optional() }),
  /** Trivial scores on the same dev set (their loss is not defined: null). */
  baselines: z.record(z.string(), DevMetrics.extend({ loss: z.number().nullable() })).optional(),
});
export type TrainRunSummary = z.infer<typeof TrainRunSummary>;

// ---- evaluation reports (src/eval/report.ts, src/eval/ablation.ts)

const MeanStd = z.strictObject({ mean: z.number(), std: z.number() });

/** One row of a results table (a model and a combination), over seeds. */
export const RowResult = z.strictObject({
  key: z.string(),
  row: z.string(),
  label: z.string(),
  combine: z.string(),
  /** Replicates of the row's weights (adapter seeds, random draws); 1 for a row without. */
  replicates: count,
  /** Trainable parameters of the row's task layers. */
  parameters: count,
  test: z.record(z.string(), MeanStd),
  dev: z.record(z.string(), MeanStd),
  /** One entry a run: replicate × task seed. */
  perSeed: z.array(
    z.strictObject({
      replicate: z.number().int().optional(),
      seed: z.number().int(),
      test: z.record(z.string(), z.number()),
      dev: z.record(z.string(), z.number()),
      bestEpoch: z.number().int(),
      epochsRun: z.number().int(),
      seconds: z.number(),
    }),
  ),
  seconds: z.number(),
});
export type RowResult = z.infer<typeof RowResult>;

/** A paired-bootstrap interval of a difference (src/util/metrics.ts). */
const Interval = z.strictObject({ diff: z.number(), low: z.number(), high: z.number(), pBelowZero: z.number() });

/** Row key b minus row key a, with its interval. */
export const Comparison = Interval.extend({ a: z.string(), b: z.string() });
export type Comparison = z.infer<typeof Comparison>;

/** A task's rows scored on its verified set (src/eval/verified.ts), from the runs' test predictions. */
export const VerifiedResult = z.strictObject({
  /** The set's folder, relative to the repository. */
  set: z.string(),
  judged: count,
  keep: count,
  correct: count,
  drop: count,
  /** Kept or corrected examples that the evaluated test sample does not hold (not scored). */
  notInTestSample: count,
  /** Examples scored. */
  examples: count,
  /** Automatic labels the judge kept, of those kept or corrected. */
  agreement: z.number(),
  /** Each row key's main metric against the verified gold and, on the same examples, the automatic gold. */
  rows: z.array(z.strictObject({ key: z.string(), verified: MeanStd, automatic: MeanStd })),
  /** F+L against each reference on the verified gold, by the reference's row key. */
  bootstrap: z.record(z.string(), Comparison),
});
export type VerifiedResult = z.infer<typeof VerifiedResult>;

/** Where a downstream set's labels come from. */
export const SET_PROVENANCES = ['kg-distant-supervision', 'corenlp-ner', 'corenlp-kbp', 'user', 'brown-gold'] as const;
export const SetProvenance = z.enum(SET_PROVENANCES);
export type SetProvenance = z.infer<typeof SetProvenance>;

/**
 * The label noise to expect of a set: measured where a person judged a sample of its kind
 * (datasets/verified: the share of fair test examples whose automatic label was wrong, and the
 * share dropped as no fair test), else unmeasured.
 */
export const SetNoise = z.discriminatedUnion('measured', [
  z.strictObject({
    measured: z.literal(true),
    mislabelled: z.number().min(0).max(1),
    dropped: z.number().min(0).max(1),
    judged: count,
    /** The judged set's folder, relative to the repository. */
    by: z.string(),
  }),
  z.strictObject({ measured: z.literal(false) }),
]);
export type SetNoise = z.infer<typeof SetNoise>;

/** A downstream set as the report names it. */
export const SetInfo = z.strictObject({ name: z.string(), provenance: SetProvenance, noise: SetNoise });
export type SetInfo = z.infer<typeof SetInfo>;

export const TaskResult = z.strictObject({
  task: z.enum(DOWNSTREAM_TASKS),
  set: SetInfo,
  /** The set's folder, relative to the repository. */
  source: z.string(),
  metric: z.string(),
  labels: count,
  examples: z.record(z.string(), count),
  skipped: z.record(z.string(), z.record(z.string(), count)),
  droppedAsSeenInPretraining: z.record(z.string(), count),
  /** The same rows per split and source. */
  droppedBySource: z.record(z.string(), z.record(z.string(), count)),
  /** Examples kept per split and source, after the seeded caps. */
  sourceMix: z.record(z.string(), z.record(z.string(), count)),
  /** Rows read per split and the cap applied. */
  sampled: z.record(z.string(), z.strictObject({ read: count, cap: count.nullable() })),
  unseenTestLabels: z.record(z.string(), count),
  poolSeconds: z.number(),
  rows: z.array(RowResult),
  /** The combination of F+L chosen on dev (mean dev score), which the comparisons use. */
  chosenCombine: z.string().nullable(),
  /** Paired bootstrap intervals (test examples and runs) of F+L against each reference, by the reference's row key. */
  bootstrap: z.record(z.string(), Comparison),
  /** Share of runs whose best dev epoch came before their last epoch (the task layers converged). */
  bestBeforeLast: z.number(),
  efficiency: z.array(z.strictObject({ row: z.string(), perRelation: z.string(), mean: z.number(), std: z.number() })),
  /** The rows on the task's verified set, where one is committed. */
  verified: VerifiedResult.optional(),
});
export type TaskResult = z.infer<typeof TaskResult>;

/** A set that was not evaluated: its folder is not built, or a split has no usable example. */
export const NotEvaluated = z.strictObject({
  task: z.enum(DOWNSTREAM_TASKS),
  set: SetInfo,
  source: z.string(),
  reason: z.string(),
});
export type NotEvaluated = z.infer<typeof NotEvaluated>;

const CurrentResults = z.strictObject({
  profile: z.string(),
  protocol: z.string(),
  base: z.record(z.string(), z.unknown()),
  backend: z.string(),
  adapters: z.record(z.string(), z.unknown()),
  seeds: z.array(z.number().int()),
  /** config.eval.replicateSeeds when it ran (results from before the setting: every replicate with every seed). */
  replicateSeeds: z.enum(['all', 'paired']).default('all'),
  /**
   * Each evaluated set, in order, keyed by its task for the task's first set (the key results had
   * when a task had one set) and by `<task>@<set>` for the others; runs/<key>/ holds its runs.
   */
  tasks: z.record(z.string(), TaskResult),
  /** The sets not evaluated, under the same keys, with the reason. */
  notEvaluated: z.record(z.string(), NotEvaluated),
  /** The leakage check on sentence ids (src/eval/leakage.ts): one line per leaking pair, or that nothing leaks. */
  leakage: z.strictObject({ leaks: count, lines: z.array(z.string()) }),
  startedAt: z.string(),
  finishedAt: z.string(),
  seconds: z.number(),
  /** The sets this run read back from an earlier evaluation (their inputs unchanged) instead of computing. */
  readBack: z.array(z.string()).optional(),
  /** The sets a second evaluate process beside this one computed in the same run (`pipeline` on two cores). */
  evaluatedBeside: z.array(z.string()).optional(),
});

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The one set of a task in a results.json written before a task had several: named from its folder. */
function setOfOlderResults(task: string, source: string): SetInfo {
  const noise = { measured: false } as const;
  if (task === 'pos') return { name: 'brown', provenance: 'brown-gold', noise };
  if (/facts\/(downstream|entity_typing)$/.test(source))
    return { name: 'kg', provenance: 'kg-distant-supervision', noise };
  return { name: source.split('/').pop() || source, provenance: 'user', noise };
}

/**
 * reports/<profile>/results.json. A file of the schema before several sets per task (no `set` per
 * task, no `notEvaluated`) reads as this one, so that `npm run report` renders it again.
 */
export const Results = z.preprocess((raw) => {
  if (!isRecord(raw) || !isRecord(raw.tasks) || 'notEvaluated' in raw) return raw;
  const tasks = Object.fromEntries(
    Object.entries(raw.tasks).map(([task, t]) => [
      task,
      isRecord(t) && !('set' in t) ? { task, set: setOfOlderResults(task, String(t.source)), ...t } : t,
    ]),
  );
  return { ...raw, tasks, notEvaluated: {} };
}, CurrentResults);
export type Results = z.infer<typeof Results>;

export const ABLATION_FAMILIES = [
  'reference',
  'which adapters',
  'knowledge or capacity',
  'layer access',
  'which adapter layers',
] as const;

/** A variant, with the paired bootstrap interval of it minus F+L of the same combination (null for F+L itself). */
export const AblationRow = RowResult.extend({ family: z.enum(ABLATION_FAMILIES), againstFL: Interval.nullable() });
export type AblationRow = z.infer<typeof AblationRow>;

/** reports/<profile>/ablation/results.json. */
export const AblationResults = z.strictObject({
  profile: z.string(),
  protocol: z.literal('frozen'),
  base: z.record(z.string(), z.unknown()),
  backend: z.string(),
  readLayers: z.array(z.number().int().min(0)),
  seeds: z.array(z.number().int()),
  tasks: z.record(
    z.string(),
    z.strictObject({
      metric: z.string(),
      examples: z.record(z.string(), count),
      /** The task's first set (absent in files written before a task had several). */
      set: z.string().optional(),
      source: z.string(),
      rows: z.array(AblationRow),
    }),
  ),
  /** Tasks whose first set could not be evaluated, with the reason. */
  notEvaluated: z.record(z.string(), z.string()).default({}),
  seconds: z.number(),
});
export type AblationResults = z.infer<typeof AblationResults>;
