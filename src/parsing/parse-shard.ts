// Parses one shard of the plan into dependency examples, in plan order. Every sentence ends as a
// valid example or as a counted skip.
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
function batches(sentences: PlannedSentence[], size: number): number[][] {
  const out: number[][] = [];
  for (const pretokenized of [false, true]) {
    const group = sentences.flatMap((s, i) => ((s.gold_tokens !== undefined) === pretokenized ? [i] : []));
    for (let i = 0; i < group.length; i += size) out.push(group.slice(i, i + size));
  }
  return out;
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
  const groups = batches(sentences, opts.batchSize);
  const outcomes = await Promise.all(
    groups.map((group) =>
      pool.annotateLines(
        group.map((i) => sentences[i]!.text),
        {
          annotators: opts.annotators,
          properties: {
            'ssplit.eolonly': true,
            'tokenize.whitespace': sentences[group[0]!]!.gold_tokens !== undefined,
          },
        },
      ),
    ),
  );
  const outcomeOf = new Array<LineOutcome>(sentences.length);
  groups.forEach((group, g) => group.forEach((i, k) => (outcomeOf[i] = outcomes[g]![k]!)));
  const result: ShardResult = { examples: { train: [], dev: [], test: [] }, skipped: {} };
  sentences.forEach((s, i) => {
    const ex = toExample(s, outcomeOf[i]!);
    if (typeof ex === 'string') result.skipped[ex] = (result.skipped[ex] ?? 0) + 1;
    else result.examples[s.split].push(ex);
  });
  return result;
}
