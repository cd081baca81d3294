// CoreNLP's NER classes as OpenEntity types: the one mapping table (docs/design.md shows the same table;
// a test keeps the two equal), and the typing rows of an annotated sentence.
import { COARSE_TYPES, type EntityTypingExample, type NerKbpSentence } from '../../data/schemas.ts';
import { typingRow } from '../../data/typing-row.ts';
import { codePointIndex } from '../../util/codepoints.ts';

type Coarse = (typeof COARSE_TYPES)[number];
/** OpenEntity's general types and finer ones below them (SPEC §5). */
export type OpenEntityLabel = Coarse | `${Coarse}/${string}`;

/** What a NER class becomes: OpenEntity labels (besides "entity", which every row has), or why it is left out. */
export type NerUse = { labels: readonly OpenEntityLabel[] } | { notUsed: string };

const QUANTITY = 'a quantity: OpenEntity types no numbers';
const ADDRESS = 'an address or handle, not a typed entity';

/** CoreNLP 4.5.10's NER classes with ner.applyFineGrained (its 24), in the order docs/design.md shows them. */
export const NER_TO_OPENENTITY = {
  PERSON: { labels: ['person'] },
  TITLE: { labels: ['person', 'person/title'] },
  ORGANIZATION: { labels: ['organization'] },
  LOCATION: { labels: ['location'] },
  CITY: { labels: ['location', 'location/city'] },
  STATE_OR_PROVINCE: { labels: ['location', 'location/state'] },
  COUNTRY: { labels: ['location', 'location/country'] },
  NATIONALITY: { labels: ['group', 'group/nationality'] },
  RELIGION: { labels: ['group', 'group/religion'] },
  DATE: { labels: ['time', 'time/date'] },
  TIME: { labels: ['time', 'time/time_of_day'] },
  DURATION: { labels: ['time', 'time/duration'] },
  SET: { labels: ['time', 'time/recurring'] },
  CRIMINAL_CHARGE: { labels: ['event', 'event/crime'] },
  CAUSE_OF_DEATH: { notUsed: 'a disease or an event: no one OpenEntity type' },
  IDEOLOGY: { notUsed: 'an idea: no OpenEntity type' },
  MISC: { notUsed: 'events, works, adjectives mixed: no one OpenEntity type' },
  MONEY: { notUsed: QUANTITY },
  NUMBER: { notUsed: QUANTITY },
  ORDINAL: { notUsed: QUANTITY },
  PERCENT: { notUsed: QUANTITY },
  EMAIL: { notUsed: ADDRESS },
  URL: { notUsed: ADDRESS },
  HANDLE: { notUsed: ADDRESS },
} as const satisfies Record<string, NerUse>;

export function nerUse(ner: string): NerUse | undefined {
  return Object.hasOwn(NER_TO_OPENENTITY, ner) ? NER_TO_OPENENTITY[ner as keyof typeof NER_TO_OPENENTITY] : undefined;
}

export interface TypingCounts {
  /** Mentions per NER class, every class (used or not). */
  mentions: Record<string, number>;
  /** Mentions of a class the table leaves out on purpose (NUMBER, …). */
  notUsed: Record<string, number>;
  /** Mentions of a class the table does not know: a CoreNLP that tags more than 4.5.10 does. */
  unmapped: Record<string, number>;
  /** Pronoun mentions (he, she, his: PERSON without a NER tag on the word), by class: not named entities. */
  pronouns: Record<string, number>;
  /** Mentions whose span cuts a character of the sentence in two (no code-point offsets). */
  cutsCharacter: number;
}

export const emptyTypingCounts = (): TypingCounts => ({
  mentions: {},
  notUsed: {},
  unmapped: {},
  pronouns: {},
  cutsCharacter: 0,
});

const bump = (counts: Record<string, number>, key: string) => (counts[key] = (counts[key] ?? 0) + 1);

/** A row per named mention of a used class, with code-point offsets; every other mention counted. */
export function nerTypingRows(sentence: NerKbpSentence, counts: TypingCounts): EntityTypingExample[] {
  const points = codePointIndex(sentence.text);
  return sentence.mentions.flatMap(({ span: [b, e], ner, pronoun }) => {
    bump(counts.mentions, ner);
    // OpenEntity types pronouns too, but CoreNLP's are he/she only: all "person", nothing to learn.
    if (pronoun) return (bump(counts.pronouns, ner), []);
    const use = nerUse(ner);
    if (use === undefined) return (bump(counts.unmapped, ner), []);
    if ('notUsed' in use) return (bump(counts.notUsed, ner), []);
    try {
      const span = [sentence.offsets[b]![0], sentence.offsets[e - 1]![1]] as const;
      return [typingRow(sentence, points, span, ['entity', ...use.labels])];
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      counts.cutsCharacter++;
      return [];
    }
  });
}
