// User text files (--input <glob>): each non-empty line is a sentence or a paragraph.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { globSync } from 'tinyglobby';
import { UserError } from '../../util/errors.ts';
import type { RawText, SentenceSource } from './types.ts';
import { sha256File } from '../../util/jsonl.ts';

export function inputFiles(patterns: string[], cwd = process.cwd()): SentenceSource {
  const files = globSync(patterns, { cwd, absolute: true, onlyFiles: true }).sort();
  if (patterns.length > 0 && files.length === 0) {
    throw new UserError(`--input ${patterns.join(' ')} matches no file`);
  }
  return {
    id: 'input',
    // The content decides whether build-data must rerun, so the "version" is the files' hashes.
    version: () => files.map((f) => `${path.basename(f)}:${sha256File(f).slice(0, 16)}`).join(','),
    async *records(): AsyncIterable<RawText> {
      for (const file of files) {
        // Invalid UTF-8 decodes to U+FFFD, which normalisation then counts and skips.
        const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
        let n = 0;
        let text = 0;
        for await (const line of lines) {
          n++;
          if (line.trim().length > 0) {
            text++;
            yield { source: 'input', doc: `${path.basename(file)}:${n}`, kind: 'paragraph', text: line };
          }
        }
        if (text === 0) {
          process.stderr.write(`kadapter: warning: --input ${file} is empty (no text line); counted as emptyFiles\n`);
          yield { source: 'input', doc: path.basename(file), kind: 'empty-file', text: '' };
        }
      }
    },
  };
}
