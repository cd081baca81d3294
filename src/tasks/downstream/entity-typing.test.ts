import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { BaseTokenizer } from '../../kadapter/tokenizer.ts';
import { entityTypingTask } from './entity-typing.ts';

/** One id per word, so that the words the encoder was given can be read back. */
function recordingTokenizer(seen: string[][]): BaseTokenizer {
  return {
    kind: 'wordpiece',
    clsId: 0,
    sepId: 1,
    padId: 2,
    unkId: 3,
    encodeText: () => [],
    tokenId: () => undefined,
    encodeWords: (words) => {
      seen.push(words);
      return {
        ids: [0, ...words.map((_, i) => 10 + i), 1],
        firstSubword: words.map((_, i) => i + 1),
        wordOf: [-1, ...words.map((_, i) => i), -1],
        truncatedWords: 0,
      };
    },
  };
}

it('marks the mention an OpenEntity row names in code points, after an emoji', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-tasks-')), 'test.json');
  fs.writeFileSync(
    file,
    JSON.stringify([{ sent: '😀 Angela Merkel visited 北京 .', start: 2, end: 15, labels: ['person'] }]),
  );
  const seen: string[][] = [];
  const { sets } = entityTypingTask;
  if (sets.kind !== 'folders') throw new Error('entity typing reads folders');
  const [example] = sets.encodeFile(file, { tokenizer: recordingTokenizer(seen), maxLength: 64, skips: {} });
  expect(seen).toEqual([['😀', '@', 'Angela', 'Merkel', '@', 'visited', '北京', '.']]);
  expect(example!.positions).toEqual([2]);
});
