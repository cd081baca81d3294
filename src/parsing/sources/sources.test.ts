import { describe, expect, it } from 'vitest';
import { brownSplit, splitTagged } from './brown.ts';
import { glossParts } from './wordnet.ts';
import { paragraphs } from './package-files.ts';
import { dictdNumber, entryParagraphs } from './gcide.ts';
import { loadRegistry } from './index.ts';
import { KNOWLEDGE_SOURCES, SENTENCE_SOURCES } from '../../config/schema.ts';

describe('Brown', () => {
  it('splits word/tag at the last slash', () => {
    expect(splitTagged('The/at')).toEqual(['The', 'at']);
    expect(splitTagged('1/2/cd')).toEqual(['1/2', 'cd']);
    expect(splitTagged('Atlanta\'s/np$')).toEqual(['Atlanta\'s', 'np$']);
  });

  it('splits by document: every 10th test, every 10th + 5 dev', () => {
    expect(brownSplit('ca10')).toBe('test');
    expect(brownSplit('cr20')).toBe('test');
    expect(brownSplit('ca15')).toBe('dev');
    expect(brownSplit('ca01')).toBe('train');
    expect(() => brownSplit('README')).toThrow();
  });
});

describe('WordNet glosses', () => {
  it('separates definitions from quoted examples', () => {
    expect(glossParts('(usually followed by `to\') having the necessary means; "able to swim"; "she was able to program her computer"  ')).toEqual({
      definitions: ["(usually followed by `to') having the necessary means"],
      examples: ['able to swim', 'she was able to program her computer'],
    });
  });

  it('drops an attribution after a quoted example', () => {
    expect(glossParts('a sign; "the dove is a sign of peace" - Shakespeare').examples).toEqual(['the dove is a sign of peace']);
  });
});

it('splits paragraphs on blank lines', () => {
  expect(paragraphs('a b\nc\n\n\n d \n  \ne')).toEqual(['a b\nc', 'd', 'e']);
});

it('registers every sentence and knowledge source with a licence', () => {
  const registry = loadRegistry();
  for (const [ids, kind] of [[SENTENCE_SOURCES, 'sentences'], [KNOWLEDGE_SOURCES, 'knowledge']] as const) {
    for (const id of ids) {
      const entry = registry.find((e) => e.id === id);
      expect(entry, id).toBeDefined();
      expect(entry!.kinds).toContain(kind);
      expect(entry!.licence).toMatch(/\w{3,}/);
    }
  }
});

describe('GCIDE', () => {
  it('reads dictd base64 numbers', () => {
    expect(dictdNumber('A')).toBe(0);
    expect(dictdNumber('Kj')).toBe(10 * 64 + 35);
    expect(() => dictdNumber('K-')).toThrow(/bad dictd number/);
  });

  it('keeps definitions and quotations, drops headword, etymology, tags and authorities', () => {
    const entry = [
      'Graphic \\Graph"ic\\ (gr[a^]f"[i^]k), Graphical \\Graph"ic*al\\',
      '   (gr[a^]f"[i^]*kal), a. [L. graphicus, Gr. grafiko`s, fr.',
      '   gra`fein to write; cf. F. graphique. See {Graft}.]',
      '   1. Of or pertaining to the arts of painting and drawing; as,',
      '      {graphic} art work.',
      '      [1913 Webster]',
      '',
      '   2. (Zool.) Having the quality of vivid description. [R.]',
      '      [1913 Webster]',
      '',
      '         The whole is so graphic that we seem to see it.',
      '                                               --Macaulay.',
      '   [1913 Webster]',
    ].join('\n');
    expect(entryParagraphs(entry)).toEqual([
      'Of or pertaining to the arts of painting and drawing; as, graphic art work.',
      'Having the quality of vivid description.',
      'The whole is so graphic that we seem to see it.',
    ]);
  });
});
