// The held-out sets as the held-out part writes them — <set>/<split>.jsonl for NER typing and KBP
// relation — and as its manifest counts them: what was planned, annotated and made, and what was
// left out on the way, by reason and split.
import path from 'node:path';
import { HELDOUT_SETS, type HeldoutSet } from '../../data/layout.ts';
import { SPLITS, type Split } from '../../data/schemas.ts';
import { writeJsonlAtomic, type WrittenFile } from '../../util/jsonl.ts';
import type { HeldoutPlan } from './plan.ts';
import type { HeldoutSets } from './sets.ts';

const perSplit = <T>(f: (split: Split) => T) => Object.fromEntries(SPLITS.map((split) => [split, f(split)]));

/** Every set's split files, in `dir`. */
export function writeHeldoutSets(dir: string, sets: HeldoutSets): WrittenFile[] {
  const outputs: WrittenFile[] = [];
  const rowsOf = { ner_typing: sets.typing, kbp_relation: sets.relation };
  for (const set of Object.keys(HELDOUT_SETS) as HeldoutSet[]) {
    for (const split of SPLITS) {
      const file = `${set}/${split}.jsonl`;
      outputs.push({ ...writeJsonlAtomic(path.join(dir, file), rowsOf[set][split]), file });
    }
  }
  return outputs;
}

/** The manifest's counts of the plan and the sets, per split. */
export function heldoutCounts(plan: HeldoutPlan, sets: HeldoutSets) {
  const c = sets.counts;
  return {
    dependencySentences: plan.read,
    sentencesPlanned: perSplit((split) => plan.sentences.filter((s) => s.split === split).length),
    sentencesAnnotated: c.sentences,
    nerMentionsByClass: perSplit((split) => c.typing[split].mentions),
    typingRows: perSplit((split) => sets.typing[split].length),
    kbpRelationsAsNamedByCoreNlp: perSplit((split) => c.relation[split].kbp),
    positivesByRelation: c.positives,
    noRelationCandidates: c.noRelationCandidates,
    noRelationKept: c.noRelationKept,
    relationRows: perSplit((split) => sets.relation[split].length),
    positivesPer1000Sentences: sets.yieldPer1000,
  };
}

/** What the sets left out, by reason and split. */
export function heldoutSkipped(sets: HeldoutSets) {
  const c = sets.counts;
  return {
    nerClassNotUsed: perSplit((split) => c.typing[split].notUsed),
    nerClassUnmapped: perSplit((split) => c.typing[split].unmapped),
    nerPronounMentions: perSplit((split) => c.typing[split].pronouns),
    mentionCutsCharacter: perSplit((split) => c.typing[split].cutsCharacter),
    kbpRelationOutsideTacred: perSplit((split) => c.relation[split].outsideTacred),
    kbpSubjectNotPersonOrOrganization: perSplit((split) => c.relation[split].subjectNotPersonOrOrganization),
    kbpPronounEnd: perSplit((split) => c.relation[split].pronounEnd),
    kbpPairWithSeveralRelations: perSplit((split) => c.relation[split].pairWithSeveralRelations),
    kbpDuplicateRelations: perSplit((split) => c.relation[split].duplicates),
    noRelationOverCap: perSplit((split) => c.noRelationCandidates[split] - c.noRelationKept[split]),
  };
}
