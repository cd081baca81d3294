import { describe, expect, it } from 'vitest';
import { TINY_BERT, dependencyExamples, relationExamples } from '../../test/fixtures/kadapter/tiny-task.ts';
import { loadBaseModel } from './base-model.ts';
import { encodeDependency, encodeRelation, markRelation } from './examples.ts';

const model = loadBaseModel(TINY_BERT);

describe('encoding examples for the knowledge heads', () => {
  it('labels a multi-subword word once, on its first subword, and points heads at first subwords', () => {
    // "zygote" is several WordPiece pieces in the tiny vocabulary; "capital" is one.
    const ex = { ...dependencyExamples(1)[0]!, tokens: ['zygote', 'capital', 'is'], heads: [2, 3, 0] };
    const skips = {};
    const e = encodeDependency(ex, model.tokenizer, 64, skips)!;
    const pieces = model.tokenizer.encodeWords(['zygote'], 64).ids.length - 2;
    expect(pieces).toBeGreaterThan(1);
    expect(e.firsts).toEqual([1, 1 + pieces, 2 + pieces]);
    // One label per word: as many labels as words, not as subwords.
    expect(e.heads).toHaveLength(3);
    expect(e.heads).toEqual([1 + pieces, 2 + pieces, 0]);
    expect(skips).toEqual({});
  });

  it('puts @ around the subject and # around the object, pooling at the first of each', () => {
    const ex = {
      ...relationExamples(1)[0]!,
      token: ['Paris', 'is', 'in', 'France'],
      subj_start: 0,
      subj_end: 0,
      obj_start: 3,
      obj_end: 3,
      relation: 'P1',
    };
    expect(markRelation(ex).words).toEqual(['@', 'Paris', '@', 'is', 'in', '#', 'France', '#']);
    const e = encodeRelation(ex, model.tokenizer, new Map([['P1', 0]]), 64, {})!;
    const enc = model.tokenizer.encodeWords(markRelation(ex).words, 64);
    expect(e.subj).toBe(enc.firstSubword[0]);
    expect(e.obj).toBe(enc.firstSubword[5]);
    expect(e.ids).toEqual(enc.ids);
  });

  it('skips and counts what cannot be labelled faithfully', () => {
    const skips: Record<string, number> = {};
    const dep = dependencyExamples(1)[0]!;
    expect(encodeDependency({ ...dep, heads: dep.heads.map(() => 99) }, model.tokenizer, 64, skips)).toBeNull();
    const rel = relationExamples(1)[0]!;
    expect(encodeRelation({ ...rel, relation: 'P999' }, model.tokenizer, new Map([['P1', 0]]), 64, skips)).toBeNull();
    expect(
      encodeRelation({ ...rel, obj_start: 1, obj_end: 1 }, model.tokenizer, new Map([['P1', 0]]), 64, skips),
    ).toBeNull();
    expect(encodeRelation({ ...rel, obj_end: 40 }, model.tokenizer, new Map([['P1', 0]]), 64, skips)).toBeNull();
    expect(skips).toEqual({
      'head index out of range': 1,
      'relation not in relations.json: P999': 1,
      'subject and object overlap': 1,
      'span out of range': 1,
    });
  });

  it('masks a head that falls past maxLength instead of pointing it elsewhere', () => {
    const tokens = Array.from({ length: 30 }, () => 'capital');
    const ex = { ...dependencyExamples(1)[0]!, tokens, heads: tokens.map((_, i) => (i === 0 ? 30 : 1)) };
    const skips: Record<string, number> = {};
    const e = encodeDependency(ex, model.tokenizer, 12, skips)!;
    expect(e.firsts).toHaveLength(10);
    expect(e.heads[0]).toBe(-1);
    expect(e.heads.slice(1).every((h) => h === 1)).toBe(true);
    expect(skips).toEqual({ 'words cut by maxLength': 20, 'heads cut by maxLength (label masked)': 1 });
  });
});
