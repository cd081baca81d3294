// Gathers the sentences to parse: every source in a fixed order, paragraphs split into sentences
// by CoreNLP, each sentence normalised (or skipped with a reason), exact duplicates dropped, a
// split assigned, and a uniform sample of the profile's size kept — the N sentences with the
// smallest hash, whatever their order or source, so the plan is the same on every run.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { PlannedSentence, Split } from '../data/schemas.ts';
import { BottomK } from '../util/sample.ts';
import type { CoreNlpPool } from './corenlp-pool.ts';
import { lineProblem, normalizeSentence, normalizeWhitespace, type LengthBounds } from './normalize.ts';
import { brownSplit } from './sources/brown.ts';
import type { RawText, SentenceSource } from './sources/types.ts';

const count = z.number().int().min(0);

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

export interface CollectOptions {
  target: number;
  bounds: LengthBounds;
  /** Characters of paragraphs sent in one sentence-splitting request. */
  splitBatchChars?: number;
  onProgress?: (read: number) => void;
}

/** CoreNLP's server refuses longer documents by default. */
const MAX_PARAGRAPH_CHARS = 100_000;

const SSPLIT = {
  annotators: ['tokenize', 'ssplit'],
  properties: { 'ssplit.newlineIsSentenceBreak': 'always' },
};

/** 90 / 5 / 5 from the first 32 bits of the sentence hash. */
export function hashSplit(hash: string): Split {
  const u = parseInt(hash.slice(0, 8), 16) / 2 ** 32;
  return u < 0.9 ? 'train' : u < 0.95 ? 'dev' : 'test';
}

export function sentenceHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export async function collectSentences(
  sources: SentenceSource[],
  pool: CoreNlpPool,
  opts: CollectOptions,
): Promise<{ planned: PlannedSentence[]; counts: Record<string, SourceCounts> }> {
  const counts: Record<string, SourceCounts> = {};
  const seen = new Set<string>();
  const sample = new BottomK<PlannedSentence>(opts.target);
  let read = 0;

  const count = (source: string) => (counts[source] ??= { read: 0, sentences: 0, kept: 0, skipped: {} });
  const skip = (source: string, reason: string) => {
    const c = count(source);
    c.skipped[reason] = (c.skipped[reason] ?? 0) + 1;
  };

  const offer = (raw: RawText, sentenceText: string) => {
    const c = count(raw.source);
    c.sentences++;
    const norm = normalizeSentence(sentenceText, opts.bounds);
    if (!norm.ok) return skip(raw.source, norm.reason);
    const hash = sentenceHash(norm.text);
    const key = hash.slice(0, 16);
    if (seen.has(key)) return skip(raw.source, 'duplicate');
    seen.add(key);
    const sentence: PlannedSentence = {
      id: `${raw.source}-${key}`,
      source: raw.source,
      doc: raw.doc,
      split: raw.source === 'brown' ? brownSplit(raw.doc) : hashSplit(hash),
      text: norm.text,
    };
    if (raw.gold) {
      // Brown's tokens have no inner white space, so the normalised text splits back into them.
      sentence.gold_tokens = norm.text.split(' ');
      sentence.gold_pos = raw.gold.pos;
      if (sentence.gold_tokens.length !== raw.gold.pos.length) return skip(raw.source, 'gold-mismatch');
    }
    sample.offer(hash.slice(16, 32), sentence);
  };

  // Paragraph batches are split concurrently but offered in submission order, so that which of
  // two duplicates is kept never depends on timing.
  const inFlight: Promise<void>[] = [];
  let batch: { raw: RawText; text: string }[] = [];
  let batchChars = 0;
  const flush = () => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    batchChars = 0;
    const outcomes = pool.annotateLines(
      items.map((i) => i.text),
      SSPLIT,
    );
    const previous = inFlight.at(-1) ?? Promise.resolve();
    const done = Promise.all([outcomes, previous]).then(([results]) => {
      results.forEach((r, i) => {
        const item = items[i]!;
        if (!r.ok) return skip(item.raw.source, `split-failed-${r.reason}`);
        for (const s of r.sentences) {
          const first = s.tokens[0]!;
          const last = s.tokens[s.tokens.length - 1]!;
          offer(item.raw, item.text.slice(first.characterOffsetBegin - r.base, last.characterOffsetEnd - r.base));
        }
      });
    });
    done.catch(() => undefined); // awaited below; this only keeps a failure from counting as unhandled
    inFlight.push(done);
  };

  for (const source of sources) {
    for await (const raw of source.records()) {
      if (raw.kind === 'empty-file') {
        const c = count(raw.source);
        c.emptyFiles = (c.emptyFiles ?? 0) + 1;
        continue;
      }
      count(raw.source).read++;
      opts.onProgress?.(++read);
      if (raw.kind === 'sentence') {
        offer(raw, raw.text);
        continue;
      }
      const text = normalizeWhitespace(raw.text);
      if (text.length === 0) {
        skip(raw.source, 'empty');
        continue;
      }
      const problem = lineProblem(text);
      if (problem) {
        skip(raw.source, problem);
        continue;
      }
      if (text.length > MAX_PARAGRAPH_CHARS) {
        skip(raw.source, 'too-long');
        continue;
      }
      batch.push({ raw, text });
      batchChars += text.length;
      if (batchChars >= (opts.splitBatchChars ?? 20_000)) flush();
      // Bound the work in flight (and memory) to what the servers can take.
      while (inFlight.length >= pool.capacity * 2) await inFlight.shift();
    }
    flush();
    // Finish this source before the next one offers anything: which copy of a duplicate is kept
    // must follow the source order, never timing.
    while (inFlight.length > 0) await inFlight.shift();
  }

  const planned = sample.sorted();
  for (const s of planned) count(s.source).kept++;
  return { planned, counts };
}
