// Annotates one shard of sentences, a line each, many lines per request: the dependency parse of
// the plan (parseShard) and the other passes over built sentences (annotateShard). Every sentence
// ends as a row or as a counted skip.
import { DependencyExample, type PlannedSentence, type Split } from '../data/schemas.ts';
import type { CoreNlpPool, LineOutcome } from './corenlp-pool.ts';
import { exampleProblem, fromCoreNlp } from './dependency.ts';

export interface ShardResult {
  examples: Record<Split, DependencyExample[]>;
  skipped: Record<string, number>;
}

export interface ParseOptions {
  annotators: string[];
  /** Sentences per request. */
  batchSize: number;
}

/**
 * Requests of up to `size` sentences. A request is either all pre-tokenized (Brown) or all raw
 * text, since the tokenizer is set per request; the two kinds are grouped apart so that a shard
 * where they alternate still sends full requests.
 */
function batches(pretokenized: boolean[], size: number): number[][] {
  const out: number[][] = [];
  for (const kind of [false, true]) {
    const group = pretokenized.flatMap((p, i) => (p === kind ? [i] : []));
    for (let i = 0; i < group.length; i += size) out.push(group.slice(i, i + size));
  }
  return out;
}

/** A sentence to annotate: one line of a request, in its split. */
export interface ShardSentence {
  split: Split;
  text: string;
  /** Tokens given by the source, separated by spaces: annotated with whitespace tokenization. */
  pretokenized: boolean;
}

export interface AnnotateShardOptions extends ParseOptions {
  /** CoreNLP properties besides one sentence a line and the tokenizer. */
  properties?: Record<string, unknown>;
}

export interface AnnotatedShard<T> {
  rows: Record<Split, T[]>;
  skipped: Record<string, number>;
}

/**
 * Annotates a shard, a sentence a line, and turns each sentence's outcome into a row or a reason
 * to skip it (counted). Rows keep the shard's order within each split.
 */
export async function annotateShard<S extends ShardSentence, T>(
  sentences: S[],
  pool: CoreNlpPool,
  opts: AnnotateShardOptions,
  convert: (s: S, outcome: LineOutcome) => T | string,
): Promise<AnnotatedShard<T>> {
  const groups = batches(
    sentences.map((s) => s.pretokenized),
    opts.batchSize,
  );
  const outcomes = await Promise.all(
    groups.map((group) =>
      pool.annotateLines(
        group.map((i) => sentences[i]!.text),
        {
          annotators: opts.annotators,
          properties: {
            ...opts.properties,
            'ssplit.eolonly': true,
            'tokenize.whitespace': sentences[group[0]!]!.pretokenized,
          },
        },
      ),
    ),
  );
  const outcomeOf = new Array<LineOutcome>(sentences.length);
  groups.forEach((group, g) => group.forEach((i, k) => (outcomeOf[i] = outcomes[g]![k]!)));
  const result: AnnotatedShard<T> = { rows: { train: [], dev: [], test: [] }, skipped: {} };
  sentences.forEach((s, i) => {
    const row = convert(s, outcomeOf[i]!);
    if (typeof row === 'string') result.skipped[row] = (result.skipped[row] ?? 0) + 1;
    else result.rows[s.split].push(row);
  });
  return result;
}

function toExample(s: PlannedSentence, outcome: LineOutcome): DependencyExample | string {
  if (!outcome.ok) return `corenlp-${outcome.reason}`;
  if (outcome.sentences.length !== 1) return 'split-mismatch';
  let parsed;
  try {
    parsed = fromCoreNlp(outcome.sentences[0]!, outcome.base);
  } catch {
    return 'not-a-tree';
  }
  const example: DependencyExample = { id: s.id, source: s.source, text: s.text, ...parsed };
  if (s.gold_pos) {
    if (parsed.tokens.join(' ') !== s.gold_tokens!.join(' ')) return 'gold-token-mismatch';
    example.gold_pos = s.gold_pos;
  }
  const problem = exampleProblem(example);
  if (problem) return 'invalid-example';
  return DependencyExample.parse(example);
}

export async function parseShard(
  sentences: PlannedSentence[],
  pool: CoreNlpPool,
  opts: ParseOptions,
): Promise<ShardResult> {
  const planned = sentences.map((s) => ({ ...s, pretokenized: s.gold_tokens !== undefined }));
  const { rows, skipped } = await annotateShard(planned, pool, opts, toExample);
  return { examples: rows, skipped };
}
