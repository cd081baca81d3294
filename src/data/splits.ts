// Which sentences each kind of training and evaluation may use: one rule, written down once.
//
// The dependency split is the master split of every sentence (90/5/5 by the sentence's hash,
// Brown by document; src/parsing/collect.ts):
//   - knowledge pre-training (both adapters and the multi-task base, their train AND dev data)
//     reads only dependency-TRAIN sentences: the linguistic adapter trains on the dependency train
//     shards less a held-out slice that is its dev set (`isLinguisticDev`), and the factual
//     adapter's facts/{train,dev,test}.jsonl are aligned in dependency-train sentences only;
//   - downstream evaluation data takes its dev and test rows only from dependency DEV and TEST
//     sentences (dev from dev, test from test): the relation task's facts/downstream/, entity
//     typing's facts/entity_typing/, and the POS probe's Brown sentences. Downstream train rows come
//     from dependency-train sentences (a task's training data may overlap the adapters' own).
// So no downstream dev/test sentence is in anything that is trained, by construction; the id filter
// of src/eval/downstream-data.ts and src/eval/leakage.ts check it again on every evaluation.
import { sampleRank, unitOf } from '../util/sample.ts';

/** The share of the dependency train sentences held out as the linguistic adapter's dev set. */
export const LINGUISTIC_DEV_SHARE = 0.05;

/**
 * Whether a dependency-train sentence is the linguistic adapter's dev data rather than its
 * training data: a fixed hash of its id (the same whatever the sample seed).
 */
export function isLinguisticDev(id: string): boolean {
  return unitOf(sampleRank('linguistic-dev', id)) < LINGUISTIC_DEV_SHARE;
}
