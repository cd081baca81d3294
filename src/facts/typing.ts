// Entity-typing rows (OpenEntity field names) from the entity mentions of a parsed sentence.
import type { EntityTypingExample } from '../data/schemas.ts';
import { codePointIndex, codePointSpan } from '../util/codepoints.ts';
import type { Mention } from './alias-index.ts';

export interface TypingSentence {
  id: string;
  /** The `source` its rows carry. */
  source: string;
  text: string;
  /** Token spans in UTF-16 code units, as a dependency example holds them. */
  offsets: [number, number][];
}

/**
 * A row per mention of a single entity that has a type besides "entity". Rows count character
 * offsets in code points (SPEC §5), so that Python and the official K-Adapter code cut the same
 * mention from `sent` that the project does.
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
    const [start, end] = codePointSpan(points, [sentence.offsets[m.start]![0], sentence.offsets[m.end]![1]]);
    return [
      {
        id: `${sentence.id}:${start}-${end}`,
        source: sentence.source,
        sentence_id: sentence.id,
        sent: sentence.text,
        start,
        end,
        labels: ['entity', ...labels],
      },
    ];
  });
}
