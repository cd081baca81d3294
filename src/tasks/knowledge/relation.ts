// The factual adapter's task: relation classification over a sentence with "@" around the subject
// and "#" around the object (TACRED / T-REx-rc rows); the head pools the features at the first "@"
// and the first "#": logits = out([f@ ; f#]).
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { RelationExample, RelationsFile, type EncodedRelation } from '../../data/schemas.ts';
import { factsDir } from '../../data/layout.ts';
import { streamTacred } from '../../data/formats.ts';
import { encodeRelation, type Skips } from '../../kadapter/examples.ts';
import { crossEntropy, gatherPositions } from '../../kadapter/heads.ts';
import { linear } from '../../kadapter/layers.ts';
import { UserError } from '../../util/errors.ts';
import { readJsonFile } from '../../util/json-file.ts';
import { readJsonLines } from '../../util/jsonl.ts';
import { relationDevScores, relationMicro } from '../../util/metrics.ts';
import { countBy, sampleStream } from '../../util/sample.ts';
import { buildMissing, linearOf, linearVariables, nonEmpty, pct, tensorPair } from './common.ts';
import type { DevMetrics, KnowledgeData, KnowledgeTask } from './registry.ts';

export const RelationHead = z.strictObject({
  kind: z.literal('relation'),
  hidden: z.number().int().min(1),
  fuse: z.boolean(),
  /** Label ids in logit order. */
  labels: z.array(z.string()).min(1),
});
export type RelationHead = z.infer<typeof RelationHead>;

const NO_RELATION = 'no_relation';

async function loadBuild(
  config: Parameters<KnowledgeTask['loadBuild']>[0],
  base: Parameters<KnowledgeTask['loadBuild']>[1],
  maxTrain: number | null,
): Promise<KnowledgeData<EncodedRelation>> {
  const maxLength = Math.min(config.model.maxLength, base.maxLength);
  const dir = factsDir(config);
  const relFile = path.join(dir, 'relations.json');
  if (!fs.existsSync(relFile)) throw buildMissing('relation', dir, config.profile);
  const labels = readJsonFile(relFile, RelationsFile).map((r) => r.id);
  if (!labels.includes(NO_RELATION)) labels.push(NO_RELATION);
  const index = new Map(labels.map((l, i) => [l, i]));
  const skips: Record<string, Skips> = { train: {}, dev: {} };
  const read: Record<string, number> = { train: 0, dev: 0 };
  const splits = { train: [] as EncodedRelation[], dev: [] as EncodedRelation[] };
  const sourceMix = { train: {}, dev: {} } as KnowledgeData['sourceMix'];
  const limit = { train: maxTrain, dev: config.adapters.maxDev };
  for (const split of ['train', 'dev'] as const) {
    const file = path.join(dir, `${split}.jsonl`);
    const { items, offered } = await sampleStream(readJsonLines(file, RelationExample, skips[split]!), {
      cap: limit[split],
      seed: config.adapters.sampleSeed,
      idOf: (row) => row.id,
      make: (row) => {
        const example = encodeRelation(row, base.tokenizer, index, maxLength, skips[split]!);
        return example && { example, source: row.source };
      },
    });
    read[split] = offered;
    splits[split] = items.map((k) => k.example);
    sourceMix[split] = countBy(items, (k) => k.source);
  }
  return nonEmpty('factual', { labels, splits, skips, read, sourceMix });
}

/** The relation labels of a training file, sorted, with no_relation. */
async function fileLabels(file: string): Promise<string[]> {
  const seen = new Set<string>([NO_RELATION]);
  for await (const row of streamTacred(file, {})) seen.add(row.relation);
  return [...seen].sort();
}

async function loadFiles(
  files: { train: string; dev: string },
  base: Parameters<KnowledgeTask['loadBuild']>[1],
  maxLength: number,
): Promise<KnowledgeData<EncodedRelation>> {
  for (const f of Object.values(files)) if (!fs.existsSync(f)) throw new UserError(`${f}: no such file`);
  const labels = await fileLabels(files.train);
  const index = new Map(labels.map((l, i) => [l, i]));
  const skips: Record<string, Skips> = { train: {}, dev: {} };
  const splits = { train: [] as EncodedRelation[], dev: [] as EncodedRelation[] };
  for (const split of ['train', 'dev'] as const) {
    for await (const row of streamTacred(files[split], skips[split]!)) {
      const e = encodeRelation(row, base.tokenizer, index, maxLength, skips[split]!);
      if (e) splits[split].push(e);
    }
  }
  const read = { train: splits.train.length, dev: splits.dev.length };
  return { labels, splits, skips, read, sourceMix: { train: {}, dev: {} } };
}

function trivialBaselines(data: KnowledgeData<EncodedRelation>): Record<string, DevMetrics> {
  const counts = new Map<number, number>();
  for (const e of data.splits.train) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
  const majority = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  const dev = data.splits.dev;
  const gold = dev.map((e) => data.labels[e.label]!);
  const majLabel = data.labels[majority]!;
  // A fixed seeded draw, uniform over the labels, stands for chance.
  let s = 7;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const randomPred = gold.map(() => data.labels[Math.floor(rand() * data.labels.length)]!);
  const micro = (pred: string[]) => relationMicro(gold, pred).f1;
  return {
    majority: {
      examples: dev.length,
      loss: NaN,
      microF1: micro(gold.map(() => majLabel)),
      accuracy: gold.filter((g) => g === majLabel).length / gold.length,
    },
    random: {
      examples: dev.length,
      loss: NaN,
      microF1: micro(randomPred),
      accuracy: randomPred.filter((p, i) => p === gold[i]).length / gold.length,
    },
  };
}

/** facts/train and facts/dev: the factual adapter's rows, aligned in dependency-train sentences only. */
const inputs = (config: Parameters<KnowledgeTask['inputs']>[0]) =>
  (['train', 'dev'] as const)
    .map((split) => ({ label: `facts/${split}`, files: [path.join(factsDir(config), `${split}.jsonl`)] }))
    .filter((i) => fs.existsSync(i.files[0]!));

async function* sentences(file: string) {
  for await (const r of readJsonLines(file, RelationExample, {})) yield { id: r.sentence_id, words: r.token };
}

export const relationTask: KnowledgeTask<EncodedRelation, RelationHead> = {
  name: 'relation',
  adapter: 'factual',
  mainMetric: 'microF1',
  fileFormat: 'TACRED-format relation rows',
  inputs,
  sentences,
  loadBuild,
  loadFiles,
  head: (_config, hidden, data, fuse) => ({ kind: 'relation', hidden, fuse, labels: data.labels }),
  headSchema: RelationHead,
  initHead: (head, init) => linearVariables('out', init.linear(2 * head.hidden, head.labels.length, 0.02)),
  logits: (_head, w, f, examples) => {
    const [subj, obj] = tensorPair(
      examples.map((e) => e.subj),
      examples.map((e) => e.obj),
    );
    const pooled = tf.concat([gatherPositions(f, subj), gatherPositions(f, obj)], -1);
    return linear(pooled, linearOf(w, 'out'));
  },
  loss: (logits, examples) =>
    crossEntropy(
      logits as tf.Tensor2D,
      tf.tensor1d(
        examples.map((e) => e.label),
        'int32',
      ),
    ),
  scorer: ({ labels }) => {
    const gold: string[] = [];
    const pred: string[] = [];
    return {
      add: (examples, argmax) =>
        examples.map((e, b) => {
          const g = labels[e.label]!;
          const p = labels[(argmax as number[])[b]!]!;
          gold.push(g);
          pred.push(p);
          return { id: e.id, gold: g, predicted: p };
        }),
      scores: () => relationDevScores(gold, pred),
    };
  },
  trivialBaselines,
  format: (m) =>
    `micro-F1 ${pct(m.microF1)} (P ${pct(m.microP)} R ${pct(m.microR)}), macro-F1 ${pct(m.macroF1)}, acc ${pct(m.accuracy)}`,
  columns: (m) => ({ 'dev micro-F1': pct(m.microF1), 'dev macro-F1': pct(m.macroF1) }),
};
