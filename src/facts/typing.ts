// Entity-typing rows (OpenEntity field names) from the entity mentions of a parsed sentence.
import type { EntityTypingExample } from '../data/schemas.ts';
import { typingRow, type TypingSentence as RowSentence } from '../data/typing-row.ts';
import { codePointIndex } from '../util/codepoints.ts';
import type { Mention } from './alias-index.ts';

export interface TypingSentence extends RowSentence {
  /** Token spans in UTF-16 code units, as a dependency example holds them. */
  offsets: [number, number][];
}

/**
 * A row per mention of a single entity that has a type besides "entity", with character offsets
 * in code points (src/data/typing-row.ts).
 */
export function typingRows(
  sentence: TypingSentence,
  mentions: Mention[],
  typesOf: (entityId: string) => string[] | undefined,
): EntityTypingExample[] {
  const points = codePointIndex(sentence.text);
  return mentions.flatMap((m) => {
    if (m.ids.length !== 1) return [];
    const labels = (typesOf(m.ids[0]!) ?? []).filter((l) => l !== 'entity');
    if (labels.length === 0) return [];
    const span = [sentence.offsets[m.start]![0], sentence.offsets[m.end]![1]] as const;
    return [typingRow(sentence, points, span, ['entity', ...labels])];
  });
}
