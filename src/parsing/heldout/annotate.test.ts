import { describe, expect, it } from 'vitest';
import type { CoreNlpSentence, CoreNlpToken } from '../corenlp-client.ts';
import { toNerKbpSentence, type HeldoutSentence } from './annotate.ts';

const planned: HeldoutSentence = {
  id: 'wordnet-0000000000000001',
  source: 'wordnet',
  split: 'test',
  text: 'She met John Smith in Paris .',
  pretokenized: false,
};

/** A CoreNLP answer for `planned`, its line starting at `base` of the request text. */
function answer(base: number, over: Partial<CoreNlpSentence> = {}): CoreNlpSentence {
  const ner = ['O', 'O', 'PERSON', 'PERSON', 'O', 'CITY', 'O'];
  let at = base;
  const tokens = planned.text.split(' ').map((word, i): CoreNlpToken => {
    const t = {
      index: i + 1,
      word,
      originalText: word,
      ner: ner[i],
      characterOffsetBegin: at,
      characterOffsetEnd: at + word.length,
    };
    at += word.length + 1;
    return t;
  });
  return {
    index: 0,
    tokens,
    entitymentions: [
      { tokenBegin: 2, tokenEnd: 4, text: 'John Smith', ner: 'PERSON' },
      { tokenBegin: 5, tokenEnd: 6, text: 'Paris', ner: 'CITY' },
      { tokenBegin: 0, tokenEnd: 1, text: 'She', ner: 'PERSON' },
    ],
    kbp: [
      {
        subject: 'John Smith',
        subjectSpan: [2, 4],
        relation: 'per:cities_of_residence',
        object: 'Paris',
        objectSpan: [5, 6],
      },
    ],
    ...over,
  };
}

describe('a CoreNLP ner + kbp answer as an annotated sentence', () => {
  it('keeps tokens at their offsets in the line, mentions with pronouns marked, relations with NER types', () => {
    const s = toNerKbpSentence(planned, { ok: true, sentences: [answer(40)], base: 40 });
    expect(typeof s).toBe('object');
    if (typeof s === 'string') return;
    expect(s.offsets[2]).toEqual([8, 12]);
    expect(s.mentions.map((m) => [m.ner, m.pronoun])).toEqual([
      ['PERSON', false],
      ['CITY', false],
      ['PERSON', true],
    ]);
    expect(s.relations).toEqual([
      { subj: [2, 4], obj: [5, 6], relation: 'per:cities_of_residence', subj_type: 'PERSON', obj_type: 'CITY' },
    ]);
  });

  it('gives a reason for every answer it cannot use', () => {
    const ok = (sentence: CoreNlpSentence, base = 0) =>
      toNerKbpSentence(planned, { ok: true, sentences: [sentence], base });
    expect(toNerKbpSentence(planned, { ok: false, reason: 'timeout' })).toBe('corenlp-timeout');
    expect(toNerKbpSentence(planned, { ok: true, sentences: [answer(0), answer(0)], base: 0 })).toBe('split-mismatch');
    expect(ok({ ...answer(0), kbp: undefined })).toBe('answer-without-ner-or-kbp');
    expect(ok(answer(3))).toBe('token-not-at-its-offsets');
    const far = answer(0);
    far.kbp![0]!.objectSpan = [5, 9];
    expect(ok(far)).toBe('span-out-of-range');
    const empty = answer(0);
    empty.entitymentions![0]!.tokenEnd = 2;
    expect(ok(empty)).toBe('invalid-annotation');
  });
});
