// One entity-typing row (SPEC §5) from a mention's span as the project's parses hold it (UTF-16
// code units): the file counts code points, so that Python and the official K-Adapter code cut the
// same mention from `sent` that the project does, and the id is `<sentence_id>:<start>-<end>` in
// those code points. Shared by every builder of typing rows (the KG's, CoreNLP NER's).
import { codePointSpan, type CodePointIndex } from '../util/codepoints.ts';
import type { EntityTypingExample } from './schemas.ts';

export interface TypingSentence {
  id: string;
  /** The `source` its rows carry. */
  source: string;
  text: string;
}

/** Throws a RangeError when the span cuts a character of `text` in two (not a span of it). */
export function typingRow(
  sentence: TypingSentence,
  points: CodePointIndex,
  utf16Span: readonly [number, number],
  labels: string[],
): EntityTypingExample {
  const [start, end] = codePointSpan(points, utf16Span);
  return {
    id: `${sentence.id}:${start}-${end}`,
    source: sentence.source,
    sentence_id: sentence.id,
    sent: sentence.text,
    start,
    end,
    labels,
  };
}
