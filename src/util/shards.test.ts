import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasShardsOf, runShards, skippedOf, type ShardWork } from './shards.ts';

const items = Array.from({ length: 7 }, (_, i) => i);

function run(dir: string, inputsHash: string, calls: number[], lines: string[] = []) {
  return runShards(items, {
    dir,
    inputsHash,
    shardSize: 3,
    what: 'test data',
    log: (l) => lines.push(l),
    work: async (slice, k): Promise<ShardWork> => {
      calls.push(k);
      return {
        outputs: [{ file: `out/${k}.jsonl`, rows: slice.map((n) => ({ n })) }],
        skipped: { odd: slice.filter((n) => n % 2).length },
      };
    },
  });
}

describe('work in shards', () => {
  it('records each shard, keeps finished ones, redoes one whose file changed, and one of other inputs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-shards-'));
    const calls: number[] = [];
    const first = await run(dir, 'h1', calls);
    expect(calls).toEqual([0, 1, 2]);
    expect(first).toMatchObject({ items: 7, itemsRunNow: 7 });
    expect(first.done.map((d) => d.outputs[0]!.lines)).toEqual([3, 3, 1]);
    expect(skippedOf(first.done)).toEqual({ odd: 3 });
    expect(hasShardsOf(dir, 'h1')).toBe(true);
    expect(hasShardsOf(dir, 'h2')).toBe(false);

    calls.length = 0;
    const again = await run(dir, 'h1', calls);
    expect(calls).toEqual([]);
    expect(again.itemsRunNow).toBe(0);
    expect(again.done).toEqual(first.done);

    // A shard cut short (its marker gone) and a file changed in place are made again; nothing else.
    fs.rmSync(path.join(dir, 'shards', '00002.done.json'));
    fs.writeFileSync(
      path.join(dir, 'out/0.jsonl'),
      fs.readFileSync(path.join(dir, 'out/0.jsonl'), 'utf8').replace('0', '9'),
    );
    const lines: string[] = [];
    const resumed = await run(dir, 'h1', calls, lines);
    expect(calls).toEqual([0, 2]);
    expect(lines.join('\n')).toMatch(/shard 00000 does not match its marker \(out\/0\.jsonl has sha256/);
    expect(resumed.done).toEqual(first.done.map((d) => ({ ...d, seconds: expect.any(Number) })));

    calls.length = 0;
    await run(dir, 'h2', calls);
    expect(calls).toEqual([0, 1, 2]);
  });
});
