// One pass of CoreNLP's `ner` and `kbp` annotators over built dependency sentences, and what is kept
// of each answer (a NerKbpSentence): tokens, entity mentions with their NER class, KBP relations.
//
// The annotators are the cheapest set that 4.5.10's kbp accepts: its requirements
// (Annotator.DEFAULT_REQUIREMENTS) are tokenize, ssplit, pos, lemma, ner and depparse. It uses coref
// chains only when they are there; without them a relation's ends are the entity mentions of its
// sentence, which is what a sentence-level set needs — and a request holds many unrelated
// sentences, between which coreference would be wrong anyway.
import { NerKbpSentence, type Split } from '../../data/schemas.ts';
import type { LineOutcome } from '../corenlp-pool.ts';

export const NER_KBP_ANNOTATORS = ['tokenize', 'ssplit', 'pos', 'lemma', 'ner', 'depparse', 'kbp'];

/** Fine-grained classes (CITY, COUNTRY, TITLE, …) and entity mentions: 4.5.10's defaults, stated. */
export const NER_KBP_PROPERTIES: Record<string, unknown> = {
  'ner.applyFineGrained': true,
  'ner.buildEntityMentions': true,
};

/** A dependency sentence chosen for the pass. */
export interface HeldoutSentence {
  id: string;
  source: string;
  split: Split;
  text: string;
  /** Brown: gold tokens separated by spaces, annotated with whitespace tokenization as when parsed. */
  pretokenized: boolean;
}

/** The sentence as annotated, or the reason it is skipped (counted by the caller). */
export function toNerKbpSentence(s: HeldoutSentence, outcome: LineOutcome): NerKbpSentence | string {
  if (!outcome.ok) return `corenlp-${outcome.reason}`;
  if (outcome.sentences.length !== 1) return 'split-mismatch';
  const sentence = outcome.sentences[0]!;
  if (sentence.entitymentions === undefined || sentence.kbp === undefined) return 'answer-without-ner-or-kbp';
  const tokens = sentence.tokens;
  const offsets = tokens.map((t): [number, number] => [
    t.characterOffsetBegin - outcome.base,
    t.characterOffsetEnd - outcome.base,
  ]);
  if (tokens.some((t, i) => s.text.slice(offsets[i]![0], offsets[i]![1]) !== t.originalText))
    return 'token-not-at-its-offsets';
  const mentions = sentence.entitymentions.map((m) => ({
    span: [m.tokenBegin, m.tokenEnd] as [number, number],
    ner: m.ner,
    pronoun: tokens.slice(m.tokenBegin, m.tokenEnd).every((t) => (t.ner ?? 'O') === 'O'),
  }));
  const sameSpan = (a: readonly number[], b: readonly number[]) => a[0] === b[0] && a[1] === b[1];
  // TACRED's subj_type/obj_type are CoreNLP's NER classes: the mention's, else the first token's.
  const typeOf = (span: [number, number]) =>
    mentions.find((m) => sameSpan(m.span, span))?.ner ?? tokens[span[0]]?.ner ?? 'O';
  const relations = sentence.kbp.map((k) => ({
    subj: k.subjectSpan,
    obj: k.objectSpan,
    relation: k.relation,
    subj_type: typeOf(k.subjectSpan),
    obj_type: typeOf(k.objectSpan),
  }));
  const inRange = ([b, e]: readonly number[]) => b! >= 0 && e! <= tokens.length;
  if (![...mentions.map((m) => m.span), ...relations.flatMap((r) => [r.subj, r.obj])].every(inRange))
    return 'span-out-of-range';
  const parsed = NerKbpSentence.safeParse({
    id: s.id,
    source: s.source,
    split: s.split,
    text: s.text,
    tokens: tokens.map((t) => t.originalText),
    offsets,
    mentions,
    relations,
  });
  return parsed.success ? parsed.data : 'invalid-annotation';
}
