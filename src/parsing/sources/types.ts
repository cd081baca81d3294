// What a sentence source yields: raw text in a fixed order, as sentences or as paragraphs that
// CoreNLP splits into sentences first.

export interface RawText {
  source: string;
  /** Document within the source: a file, a chapter, a synset. */
  doc: string;
  /** 'empty-file': a file of the source with no text at all (counted as `emptyFiles`, `text` is ''). */
  kind: 'sentence' | 'paragraph' | 'empty-file';
  text: string;
  /** Pre-tokenized sources (Brown) keep their tokens and gold tags. */
  gold?: { tokens: string[]; pos: string[] };
}

export interface SentenceSource {
  id: string;
  /** Version of the package the text comes from, for the manifest. */
  version(): string;
  records(): AsyncIterable<RawText>;
}
