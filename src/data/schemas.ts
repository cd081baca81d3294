// The data contracts of SPEC §5, typed once and validated where data enters or leaves a stage.
import { z } from 'zod';

export const SPLITS = ['train', 'dev', 'test'] as const;
export const Split = z.enum(SPLITS);
export type Split = z.infer<typeof Split>;

/** A sentence chosen for parsing: the plan that the parse step works through, in order. */
export const PlannedSentence = z.strictObject({
  id: z.string(),
  source: z.string(),
  /** Document within the source (file, synset, …), for splits and provenance. */
  doc: z.string(),
  split: Split,
  text: z.string().min(1),
  /** Tokens given by the source (Brown): parsed as they are, with whitespace tokenization. */
  gold_tokens: z.array(z.string()).optional(),
  /** The source's own POS tags (Brown's gold tags, a downstream probe). */
  gold_pos: z.array(z.string()).optional(),
});
export type PlannedSentence = z.infer<typeof PlannedSentence>;

/**
 * Dependency example: heads[i] is the 1-based index of word i's head, 0 for the root (CoNLL-U).
 * Structural checks (one root, heads in range, no cycles) are in src/parsing/dependency.ts.
 */
export const DependencyExample = z.strictObject({
  id: z.string(),
  source: z.string(),
  text: z.string(),
  /** Surface forms as they stand in `text` (CoreNLP's originalText). */
  tokens: z.array(z.string()).min(1),
  /**
   * Character span [start, end) of each token in `text`, in UTF-16 code units: the offsets
   * JavaScript slices `text` by and CoreNLP's characterOffsetBegin/End count. Unlike the files
   * made from these examples for other readers (find_head, entity typing), which count code points.
   */
  offsets: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])),
  heads: z.array(z.number().int().min(0)),
  deprels: z.array(z.string()),
  pos: z.array(z.string()),
  gold_pos: z.array(z.string()).optional(),
});
export type DependencyExample = z.infer<typeof DependencyExample>;

/** What the linguistic adapter trains on: a dependency row's words and heads, other fields allowed. */
export const DependencyTrainingRow = z.looseObject({
  id: z.string().min(1),
  tokens: z.array(z.string()).min(1),
  /** 1-based head of each token, 0 for the root. */
  heads: z.array(z.number().int().min(0)),
});
export type DependencyTrainingRow = z.infer<typeof DependencyTrainingRow>;

/**
 * The official K-Adapter `find_head` shape (its utils_glue.py reads train.json / dev.json, each a
 * JSON array): tokens as {"<1-based index>": {start, end}} character spans of `sent` in Unicode
 * code points (Python's indexing, never UTF-16 code units), pairs with 1-based indices and
 * governor 0 for the root. `dep` is ours; the official loader ignores it.
 */
export const FindHeadExample = z.strictObject({
  sent: z.string(),
  tokens: z.array(z.record(z.string(), z.strictObject({ start: z.number().int(), end: z.number().int() }))),
  pairs: z.array(
    z.strictObject({ dependent_index: z.number().int(), governor_index: z.number().int(), dep: z.string() }),
  ),
});
export type FindHeadExample = z.infer<typeof FindHeadExample>;

/** One entry of datasets/sources.json. */
export const SourceEntry = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  kinds: z.array(z.enum(['sentences', 'knowledge'])).min(1),
  package: z.string(),
  registry: z.enum(['npm', 'debian', 'pypi', 'user']),
  licence: z.string(),
  description: z.string(),
});
export type SourceEntry = z.infer<typeof SourceEntry>;

/** OpenEntity's coarse labels (SPEC §5); finer ones are written "<coarse>/<fine>". */
export const COARSE_TYPES = [
  'entity',
  'location',
  'time',
  'organization',
  'object',
  'event',
  'place',
  'person',
  'group',
] as const;

const EntityType = z
  .string()
  .refine((t) => (COARSE_TYPES as readonly string[]).includes(t.split('/')[0]!), 'not an OpenEntity type');

/** A knowledge-graph entity: a stable id (e.g. "country:FRA", "wn:n:02084071"), a name, aliases, types. */
export const KgEntity = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  aliases: z.array(z.string()),
  types: z.array(EntityType),
  source: z.string(),
});
export type KgEntity = z.infer<typeof KgEntity>;

/** A fact: subject and object entity ids and a predicate id (src/facts/predicates.ts). */
export const KgTriple = z.strictObject({
  subject: z.string().min(1),
  predicate: z.string().regex(/^P\d+$/),
  object: z.string().min(1),
  source: z.string(),
});
export type KgTriple = z.infer<typeof KgTriple>;

/**
 * The id of the dependency example (dependency/*.jsonl) a facts or typing row was made from: leakage
 * checks compare sentences by identity, not text (a WordNet gloss row, rewritten "lemma : gloss",
 * keeps its gloss's id). Rows of external datasets (TACRED, OpenEntity) have none; the readers in
 * src/data/formats.ts take it as optional.
 */
export const SentenceId = z.string().min(1);

/** Relation example in TACRED / T-REx-rc field names; spans are inclusive word indices. */
export const RelationExample = z.strictObject({
  id: z.string(),
  source: z.string(),
  sentence_id: SentenceId,
  token: z.array(z.string()).min(1),
  subj_start: z.number().int().min(0),
  subj_end: z.number().int().min(0),
  obj_start: z.number().int().min(0),
  obj_end: z.number().int().min(0),
  subj_type: z.string(),
  obj_type: z.string(),
  relation: z.string(),
  subj_id: z.string(),
  obj_id: z.string(),
});
export type RelationExample = z.infer<typeof RelationExample>;

/**
 * Entity-typing example in OpenEntity / FIGER field names; start/end are the mention's character
 * offsets in `sent`, counted in Unicode code points as Python and the official datasets count them
 * (SPEC §5), never UTF-16 code units. `id`, `source` and `sentence_id` are ours (the OpenEntity
 * readers ignore what they do not know).
 */
export const EntityTypingExample = z.strictObject({
  /** `<sentence_id>:<start>-<end>`, in code points. */
  id: z.string(),
  source: z.string(),
  sentence_id: SentenceId,
  sent: z.string(),
  start: z.number().int().min(0),
  end: z.number().int().min(0),
  labels: z.array(z.string()).min(1),
});
export type EntityTypingExample = z.infer<typeof EntityTypingExample>;

const tokenIndex = z.number().int().min(0);
/** Tokens [start, end) of a sentence: end exclusive, as CoreNLP's spans count. */
const TokenSpan = z.tuple([tokenIndex, tokenIndex]).refine(([s, e]) => s < e, 'an empty token span');

/**
 * A dependency sentence as CoreNLP's `ner` and `kbp` annotators read it (heldout/annotated/*.jsonl):
 * what the held-out NER typing and KBP relation sets are made from, kept apart from the rows so
 * that a change of the label mappings remakes the rows without annotating again.
 */
export const NerKbpSentence = z.strictObject({
  /** The dependency sentence's id: the rows' `sentence_id`. */
  id: z.string().min(1),
  source: z.string(),
  split: Split,
  text: z.string().min(1),
  /** Surface forms (originalText) and their [start, end) in `text` in UTF-16 code units. */
  tokens: z.array(z.string()).min(1),
  offsets: z.array(z.tuple([tokenIndex, tokenIndex])),
  /**
   * Entity mentions with their NER class (fine-grained: CITY, COUNTRY, TITLE, …). `pronoun`: a
   * mention whose tokens carry no NER tag — the he/she/his mentions that CoreNLP adds as PERSON
   * for coreference and KBP, not named entities.
   */
  mentions: z.array(z.strictObject({ span: TokenSpan, ner: z.string().min(1), pronoun: z.boolean() })),
  /** KBP relations as CoreNLP names them, with the NER classes of their two ends. */
  relations: z.array(
    z.strictObject({
      subj: TokenSpan,
      obj: TokenSpan,
      relation: z.string().min(1),
      subj_type: z.string(),
      obj_type: z.string(),
    }),
  ),
});
export type NerKbpSentence = z.infer<typeof NerKbpSentence>;

/**
 * A training example as the model sees it (the feature cache stores one per line beside its
 * hidden states): token ids with the special tokens, and the task's labels in token positions.
 */
export const EncodedRelation = z.strictObject({
  task: z.literal('relation'),
  id: z.string(),
  ids: z.array(z.number().int().min(0)).min(2),
  /** Index into relations.json's order. */
  label: z.number().int().min(0),
  /** Positions of the first "@" (subject) and the first "#" (object) marker. */
  subj: z.number().int().min(1),
  obj: z.number().int().min(1),
});
export type EncodedRelation = z.infer<typeof EncodedRelation>;

export const EncodedDependency = z.strictObject({
  task: z.literal('dependency'),
  id: z.string(),
  ids: z.array(z.number().int().min(0)).min(2),
  /** Position of each word's first subword (the candidates a head may point to, with 0 = ROOT). */
  firsts: z.array(z.number().int().min(1)),
  /** Per word, the position of its head's first subword (0 = ROOT), or -1 when the head was cut. */
  heads: z.array(z.number().int().min(-1)),
});
export type EncodedDependency = z.infer<typeof EncodedDependency>;

export const EncodedExample = z.discriminatedUnion('task', [EncodedRelation, EncodedDependency]);
export type EncodedExample = z.infer<typeof EncodedExample>;

/** facts/relations.json: the relations kept, in label order (no_relation last), with example counts per split. */
export const RelationsFile = z
  .array(
    z.strictObject({ id: z.string().min(1), label: z.string(), counts: z.record(z.string(), z.number().int().min(0)) }),
  )
  .min(1);
export type RelationsFile = z.infer<typeof RelationsFile>;
