// npm run facts:sample — prints random relation examples with their entities marked, for a human
// to judge: [[subject]] and <<object>>, the relation, and the entity ids.
//   npm run facts:sample -- --profile default --n 100 --seed 1 --split train
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.ts';
import { RelationExample } from '../src/data/schemas.ts';
import { PREDICATES } from '../src/facts/predicates.ts';
import { readJsonl } from '../src/util/jsonl.ts';
import { factsDir } from '../src/data/layout.ts';
import { markRelation } from '../src/eval/verified.ts';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'default' },
    n: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    split: { type: 'string', default: 'train' },
    positives: { type: 'boolean', default: false },
  },
});
const config = loadConfig({ profile: values.profile });
const file = path.join(factsDir(config), `${values.split}.jsonl`);
if (!fs.existsSync(file)) {
  console.error(`no ${file}: run npm run pipeline:build-data -- --profile ${config.profile} first`);
  process.exit(1);
}
const rows: RelationExample[] = [];
for await (const ex of readJsonl(file, RelationExample)) {
  if (!values.positives || ex.relation !== 'no_relation') rows.push(ex);
}

// A small seeded generator (mulberry32), so that the same seed shows the same sample.
let state = Number(values.seed) >>> 0;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
for (let i = rows.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [rows[i], rows[j]] = [rows[j]!, rows[i]!];
}
const label = new Map(PREDICATES.map((p) => [p.id, p.label]));
rows.slice(0, Number(values.n)).forEach((ex, k) => {
  console.log(
    `${String(k + 1).padStart(3)}. ${ex.relation} (${label.get(ex.relation) ?? 'no relation'})  ${ex.subj_id} → ${ex.obj_id}`,
  );
  console.log(`     ${markRelation(ex)}`);
});
console.log(
  `\n${Math.min(rows.length, Number(values.n))} of ${rows.length} examples in ${path.relative(process.cwd(), file)}`,
);
