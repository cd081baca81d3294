// Alignment over the parsed sentences (the dependency part, as built): the alias index finds the
// mentions in every sentence (and in each WordNet gloss, with its own synset as the subject at the
// front), distant supervision (src/facts/align.ts) makes relation examples and no_relation
// candidates of them, and every single-entity mention with a type becomes an entity-typing row
// that keeps its sentence's dependency split.
import path from 'node:path';
import { DependencyExample, PlannedSentence, type EntityTypingExample, type Split } from '../data/schemas.ts';
import { readJsonl } from '../util/jsonl.ts';
import type { AliasIndex, Mention } from './alias-index.ts';
import { alignMentions, type AlignedPair, type FactLookup } from './align.ts';
import { typingRows } from './typing.ts';

export interface Sentence {
  id: string;
  source: string;
  text: string;
  tokens: string[];
  offsets: [number, number][];
  split: Split;
  /** A WordNet gloss: the synset it defines. */
  glossOf?: string;
}

/** A relation example or no_relation candidate, with the sentence it is in. */
export interface SentencePair {
  pair: AlignedPair;
  s: Sentence;
}

export interface Alignment {
  positives: SentencePair[];
  negatives: SentencePair[];
  typing: Record<Split, EntityTypingExample[]>;
  counts: {
    sentences: number;
    mentions: number;
    ambiguousMentions: number;
    ambiguousPairs: number;
    glossSentences: number;
  };
}

/**
 * Every parsed sentence of `depDir` (its manifest's `.jsonl` outputs, in order), aligned against the
 * graph's indexes (src/facts/extract.ts).
 */
export async function alignSentences(
  depDir: string,
  depOutputs: { file: string }[],
  graph: { index: AliasIndex; lookup: FactLookup; names: Map<string, string> },
): Promise<Alignment> {
  const { index, lookup, names } = graph;
  const glossOf = new Map<string, string>();
  for await (const s of readJsonl(path.join(depDir, 'plan.jsonl'), PlannedSentence)) {
    if (s.source === 'wordnet') glossOf.set(s.id, `wn:${s.doc}`);
  }
  const positives: SentencePair[] = [];
  const negatives: SentencePair[] = [];
  const typing: Record<Split, EntityTypingExample[]> = { train: [], dev: [], test: [] };
  const counts = { sentences: 0, mentions: 0, ambiguousMentions: 0, ambiguousPairs: 0, glossSentences: 0 };
  for (const o of depOutputs.filter((o) => o.file.endsWith('.jsonl'))) {
    const split = o.file.split('-')[0] as Split;
    for await (const ex of readJsonl(path.join(depDir, o.file), DependencyExample)) {
      counts.sentences++;
      let sentence: Sentence = { ...ex, split };
      let mentions = index.match(ex.tokens, ex.pos);
      const gloss = glossOf.get(ex.id);
      if (gloss && names.has(gloss)) {
        counts.glossSentences++;
        ({ sentence, mentions } = withGlossHead(sentence, ex, gloss, names.get(gloss)!, mentions));
      }
      counts.mentions += mentions.length;
      counts.ambiguousMentions += mentions.filter((m) => m.ids.length > 1).length;
      const aligned = alignMentions(mentions, lookup);
      counts.ambiguousPairs += aligned.ambiguous;
      for (const pair of aligned.positives) positives.push({ pair, s: sentence });
      for (const pair of aligned.negatives) negatives.push({ pair, s: sentence });
      // Typing rows keep their sentence's dependency split: train, dev or test.
      const typed = { ...sentence, source: sentence.glossOf ? 'wordnet-gloss' : ex.source };
      typing[split].push(...typingRows(typed, mentions, (id) => index.types.get(id)));
    }
  }
  return { positives, negatives, typing, counts };
}

/** "<lemma> : <gloss>" — the defined synset (named `name`) becomes a mention at the front. */
function withGlossHead(
  sentence: Sentence,
  ex: DependencyExample,
  gloss: string,
  name: string,
  mentions: Mention[],
): { sentence: Sentence; mentions: Mention[] } {
  const head = name.split(' ');
  const shift = head.length + 1;
  const text = `${head.join(' ')} : ${ex.text}`;
  let at = 0;
  const headOffsets = head.map((w) => {
    const span: [number, number] = [at, at + w.length];
    at += w.length + 1;
    return span;
  });
  return {
    sentence: {
      ...sentence,
      text,
      tokens: [...head, ':', ...ex.tokens],
      offsets: [
        ...headOffsets,
        [at, at + 1],
        ...ex.offsets.map(([a, b]) => [a + at + 2, b + at + 2] as [number, number]),
      ],
      glossOf: gloss,
    },
    mentions: [
      { start: 0, end: head.length - 1, ids: [gloss] },
      ...mentions.map((m): Mention => ({ start: m.start + shift, end: m.end + shift, ids: m.ids })),
    ],
  };
}
