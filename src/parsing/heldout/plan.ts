// Which dependency sentences the NER/KBP pass reads: per split, a seeded sample by hash of the
// sentence id (src/util/sample.ts), never file order. Dev and test come from the dependency dev and
// test splits, which no adapter and no multi-task run reads in pre-training (src/data/splits.ts);
// train from the dependency train split, as the other downstream sets take theirs.
import { DependencyExample, SPLITS, type Split } from '../../data/schemas.ts';
import { readJsonl } from '../../util/jsonl.ts';
import { sampleStream } from '../../util/sample.ts';
import type { HeldoutSentence } from './annotate.ts';

export interface HeldoutPlan {
  /** Train, then dev, then test; each split in its sample's order. */
  sentences: HeldoutSentence[];
  /** Dependency sentences read per split (the sample's population). */
  read: Record<Split, number>;
}

export async function planHeldout(
  filesOf: (split: Split) => string[],
  caps: Record<Split, number | null>,
  seed: number,
): Promise<HeldoutPlan> {
  const sentences: HeldoutSentence[] = [];
  const read = { train: 0, dev: 0, test: 0 };
  for (const split of SPLITS) {
    async function* rows(): AsyncIterable<DependencyExample> {
      for (const f of filesOf(split)) yield* readJsonl(f, DependencyExample);
    }
    const sample = await sampleStream(rows(), {
      cap: caps[split],
      seed: `heldout-${seed}`,
      idOf: (r) => r.id,
      make: (r): HeldoutSentence => ({
        id: r.id,
        source: r.source,
        split,
        text: r.text,
        pretokenized: r.gold_pos !== undefined,
      }),
    });
    read[split] = sample.offered;
    sentences.push(...sample.items);
  }
  return { sentences, read };
}
