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
  /** Character span [start, end) of each token in `text`. */
  offsets: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])),
  heads: z.array(z.number().int().min(0)),
  deprels: z.array(z.string()),
  pos: z.array(z.string()),
  gold_pos: z.array(z.string()).optional(),
});
export type DependencyExample = z.infer<typeof DependencyExample>;

/**
 * The official K-Adapter `find_head` shape (its utils_glue.py reads train.json / dev.json, each a
 * JSON array): tokens as {"<1-based index>": {start, end}} character spans of `sent`, pairs with
 * 1-based indices and governor 0 for the root. `dep` is ours; the official loader ignores it.
 */
export const FindHeadExample = z.strictObject({
  sent: z.string(),
  tokens: z.array(z.record(z.string(), z.strictObject({ start: z.number().int(), end: z.number().int() }))),
  pairs: z.array(z.strictObject({ dependent_index: z.number().int(), governor_index: z.number().int(), dep: z.string() })),
});
export type FindHeadExample = z.infer<typeof FindHeadExample>;

/** One entry of datasets/sources.json. */
export const SourceEntry = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  kind: z.enum(['sentences', 'knowledge']),
  package: z.string(),
  registry: z.enum(['npm', 'debian', 'pypi', 'user']),
  licence: z.string(),
  description: z.string(),
});
export type SourceEntry = z.infer<typeof SourceEntry>;
