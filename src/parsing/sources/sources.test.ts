import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sphinxDocs, sphinxParagraphs } from './debian-docs.ts';
import { brownSplit, splitTagged } from './brown.ts';
import { glossParts } from './wordnet.ts';
import { paragraphs } from './paragraphs.ts';
import { dictdNumber, entryParagraphs } from './gcide.ts';
import { loadRegistry } from './index.ts';
import { KNOWLEDGE_SOURCES, SENTENCE_SOURCES } from '../../config/schema.ts';

describe('Brown', () => {
  it('splits word/tag at the last slash', () => {
    expect(splitTagged('The/at')).toEqual(['The', 'at']);
    expect(splitTagged('1/2/cd')).toEqual(['1/2', 'cd']);
    expect(splitTagged("Atlanta's/np$")).toEqual(["Atlanta's", 'np$']);
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
    expect(
      glossParts(
        '(usually followed by `to\') having the necessary means; "able to swim"; "she was able to program her computer"  ',
      ),
    ).toEqual({
      definitions: ["(usually followed by `to') having the necessary means"],
      examples: ['able to swim', 'she was able to program her computer'],
    });
  });

  it('drops an attribution after a quoted example', () => {
    expect(glossParts('a sign; "the dove is a sign of peace" - Shakespeare').examples).toEqual([
      'the dove is a sign of peace',
    ]);
  });
});

it('splits paragraphs on blank lines', () => {
  expect(paragraphs('a b\nc\n\n\n d \n  \ne')).toEqual(['a b\nc', 'd', 'e']);
});

it('registers every sentence and knowledge source with a licence', () => {
  const registry = loadRegistry();
  for (const [ids, kind] of [
    [SENTENCE_SOURCES, 'sentences'],
    [KNOWLEDGE_SOURCES, 'knowledge'],
  ] as const) {
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

describe('Sphinx documentation pages', () => {
  const page = [
    '<html><body><div class="related"><p>Navigation text that is not prose.</p></div>',
    '<div class="document"><div class="body" role="main">',
    '<h1>The <code>json</code> module<a class="headerlink" href="#x">¶</a></h1>',
    '<p>The <a href="x"><code class="docutils literal"><span class="pre">json</span></code></a> module',
    '  encodes &amp; decodes <em>values</em>.</p>',
    '<div class="highlight"><pre>import json  # code is not prose</pre></div>',
    '<dl><dd><p>A parameter &lt;name&gt; is required.</p></dd></dl>',
    '<p>&#8212; 42</p>',
    '</div></div>',
    '<div class="footer"><p>Copyright text in the footer.</p></div></body></html>',
  ].join('\n');

  it('keeps the paragraphs of the main part, inline markup as words, entities decoded', () => {
    expect(sphinxParagraphs(page)).toEqual([
      'The json module encodes & decodes values.',
      'A parameter <name> is required.',
    ]);
  });

  it('reads pages in a fixed order, leaving out generated folders, index pages and skipped paths', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sphinx-'));
    const write = (rel: string, body: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), `<div role="main"><p>${body}</p></div>`);
    };
    write('a/page10.html', 'Ten is here.');
    write('a/page2.html', 'Two is here.');
    write('genindex-A.html', 'An index page.');
    write('_sources/a.html', 'A source copy.');
    write('translations/it/a.html', 'Una traduzione.');
    write('b.txt', 'Not a page.');
    const source = sphinxDocs({
      id: 'docs',
      debianPackage: 'none',
      dir,
      skip: /^(?:_sources|translations)(?:\/|$)|genindex/,
    });
    const records = [];
    for await (const r of source.records()) records.push(r);
    expect(records).toEqual([
      { source: 'docs', doc: 'a/page2', kind: 'paragraph', text: 'Two is here.' },
      { source: 'docs', doc: 'a/page10', kind: 'paragraph', text: 'Ten is here.' },
    ]);
    fs.rmSync(dir, { recursive: true });
  });

  it('says how to install a missing package', async () => {
    const source = sphinxDocs({ id: 'docs', debianPackage: 'no-such-package', dir: '/no/such/dir', skip: /^$/ });
    await expect(source.records()[Symbol.asyncIterator]().next()).rejects.toThrow(/setup:sources.*no-such-package/);
    expect(() => source.version()).toThrow(/no-such-package is not installed/);
  });
});
