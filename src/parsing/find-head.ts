// Export to the official K-Adapter `find_head` files: <split>.json, each one JSON array of
// {sent, tokens: [{"1": {start, end}}, …], pairs: [{dependent_index, governor_index, dep}]}
// with 1-based word indices and governor 0 for the root (what its utils_glue.py reads).
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { DependencyExample, FindHeadExample, type Split } from '../data/schemas.ts';
import { readJsonl } from '../util/jsonl.ts';

export function toFindHead(ex: DependencyExample): FindHeadExample {
  return {
    sent: ex.text,
    tokens: ex.offsets.map(([start, end], i) => ({ [String(i + 1)]: { start, end } })),
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
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
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
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } catch (err) {
    out.destroy();
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.renameSync(tmp, file);
  return { file, examples: n };
}
