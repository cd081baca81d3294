// Export to the official K-Adapter `find_head` files: <split>.json, each one JSON array of
// {sent, tokens: [{"1": {start, end}}, …], pairs: [{dependent_index, governor_index, dep}]}
// with 1-based word indices and governor 0 for the root (what its utils_glue.py reads). Token
// spans are written in code points, as Python indexes `sent`; the examples hold UTF-16 offsets.
import fs from 'node:fs';
import path from 'node:path';
import { DependencyExample, FindHeadExample, SPLITS, type Split } from '../data/schemas.ts';
import { codePointIndex, codePointSpan } from '../util/codepoints.ts';
import { fsyncDir, readJsonl, sha256File, withPath, type WrittenFile } from '../util/jsonl.ts';

export function toFindHead(ex: DependencyExample): FindHeadExample {
  const cp = codePointIndex(ex.text);
  return {
    sent: ex.text,
    tokens: ex.offsets.map((span, i) => {
      const [start, end] = codePointSpan(cp, span);
      return { [String(i + 1)]: { start, end } };
    }),
    pairs: ex.heads.map((head, i) => ({ dependent_index: i + 1, governor_index: head, dep: ex.deprels[i]! })),
  };
}

/** Streams the shards of one split into <outDir>/<split>.json (temp file, then rename). */
export async function exportFindHead(
  shardFiles: string[],
  outDir: string,
  split: Split,
): Promise<{ file: string; examples: number }> {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${split}.json`);
  const tmp = `${file}.tmp-${process.pid}`;
  const out = fs.createWriteStream(tmp);
  // A write error (disk full) arrives as an event, possibly between two awaits: keep it, and let
  // the next write or the end report it, so that it never goes unhandled.
  let writeError: Error | null = null;
  out.on('error', (err) => (writeError ??= withPath(err, tmp) as Error));
  const check = () => {
    if (writeError) throw writeError;
  };
  // Wait for 'drain', or for 'close' when an error ends the stream instead.
  const drained = () =>
    new Promise<void>((resolve) => {
      if (writeError || out.destroyed) return resolve();
      const done = () => {
        out.off('drain', done).off('close', done);
        resolve();
      };
      out.on('drain', done).on('close', done);
    });
  const write = async (s: string) => {
    check();
    if (!out.write(s)) await drained();
    check();
  };
  let n = 0;
  try {
    await write('[');
    for (const shard of shardFiles) {
      for await (const ex of readJsonl(shard, DependencyExample)) {
        await write(`${n === 0 ? '\n' : ',\n'}${JSON.stringify(FindHeadExample.parse(toFindHead(ex)))}`);
        n++;
      }
    }
    await write('\n]\n');
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err || writeError ? reject(writeError ?? err) : resolve())),
    );
    const fd = fs.openSync(tmp, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    // The cause (a bad shard line, a full disk) is what the caller sees; the stream is closed
    // before the temp file goes, and any error it raises while closing is already listened to.
    if (!out.destroyed) out.destroy();
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.renameSync(tmp, file);
  fsyncDir(outDir);
  return { file, examples: n };
}

/**
 * Every split's find_head file (<dir>/find_head/<split>.json) from the shards written in `dir`
 * (named <split>-NNNNN.jsonl), as written files relative to `dir`.
 */
export async function exportFindHeadFiles(dir: string, shardOutputs: { file: string }[]): Promise<WrittenFile[]> {
  const findHead: WrittenFile[] = [];
  for (const split of SPLITS) {
    const files = shardOutputs.filter((o) => o.file.startsWith(`${split}-`)).map((o) => path.join(dir, o.file));
    const { file, examples } = await exportFindHead(files, path.join(dir, 'find_head'), split);
    findHead.push({
      file: path.relative(dir, file),
      lines: examples,
      bytes: fs.statSync(file).size,
      sha256: sha256File(file),
    });
  }
  return findHead;
}
