// npm run verified:sheets — the examples of a build's downstream test sets that a person judges for
// the verified sets (datasets/verified/): the first N of each test file in the evaluation's own
// seeded order (eval.sampleSeed), so that every one of them is in the evaluated test sample, each
// shown with its mention or its subject and object marked and its automatic label.
//   npm run verified:sheets -- --profile default --n 320
// Writes datasets/verified/<task>/sheet.jsonl: {n, id, sentence_id, source, shown, auto}.
//   npm run verified:sheets -- --profile default --sets
// Once judged (<task>/verdicts.jsonl): writes <task>/test.jsonl, the kept and corrected examples
// in the task's own format (TACRED, OpenEntity) with the verified label, for any other tool.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/load.ts';
import { factsDir } from '../../src/data/layout.ts';
import { EntityTypingExample, RelationExample } from '../../src/data/schemas.ts';
import { loadVerifiedSet, markRelation, markMention, VERIFIED_DIR } from '../../src/eval/verified.ts';
import { readJsonl, writeJsonlAtomic } from '../../src/util/jsonl.ts';
import { byHashOf } from '../../src/util/sample.ts';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'default' },
    n: { type: 'string', default: '320' },
    sets: { type: 'boolean', default: false },
  },
});
const config = loadConfig({ profile: values.profile });
const n = Number(values.n);
const facts = factsDir(config);

/** The judged examples of a task in its own format, with the verified label. */
async function writeSet<T extends { id: string }>(
  task: string,
  rows: AsyncIterable<T>,
  relabel: (r: T, gold: string[]) => T,
) {
  const set = loadVerifiedSet(task);
  if (!set) throw new Error(`${task}: no sheet.jsonl and verdicts.jsonl in ${path.join(VERIFIED_DIR, task)}`);
  const out: T[] = [];
  for await (const r of rows) {
    const gold = set.gold.get(r.id);
    if (gold) out.push(relabel(r, gold));
  }
  const file = path.join(set.dir, 'test.jsonl');
  writeJsonlAtomic(file, out);
  console.log(
    `${task}: ${out.length} of ${set.gold.size} verified examples found in the build → ${path.relative(process.cwd(), file)}`,
  );
}

if (values.sets) {
  await writeSet('relation', readJsonl(path.join(facts, 'downstream', 'test.jsonl'), RelationExample), (r, g) => ({
    ...r,
    relation: g[0]!,
  }));
  await writeSet(
    'entity-typing',
    readJsonl(path.join(facts, 'entity_typing', 'test.jsonl'), EntityTypingExample),
    (r, g) => ({
      ...r,
      labels: g,
    }),
  );
  process.exit(0);
}

async function sheet<T extends { id: string; sentence_id: string; source: string }>(
  task: string,
  rows: AsyncIterable<T>,
  show: (r: T) => { shown: string; auto: unknown },
) {
  const all: T[] = [];
  for await (const r of rows) all.push(r);
  const chosen = byHashOf(all, (r) => r.id, config.eval.sampleSeed).slice(0, n);
  const out = path.join(VERIFIED_DIR, task, 'sheet.jsonl');
  writeJsonlAtomic(
    out,
    chosen.map((r, i) => ({ n: i + 1, id: r.id, sentence_id: r.sentence_id, source: r.source, ...show(r) })),
  );
  console.log(`${task}: ${chosen.length} of ${all.length} test examples → ${path.relative(process.cwd(), out)}`);
}

await sheet('relation', readJsonl(path.join(facts, 'downstream', 'test.jsonl'), RelationExample), (r) => ({
  shown: markRelation(r),
  auto: r.relation,
}));
await sheet('entity-typing', readJsonl(path.join(facts, 'entity_typing', 'test.jsonl'), EntityTypingExample), (r) => ({
  shown: markMention(r),
  auto: r.labels,
}));
