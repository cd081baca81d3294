// The linguistic adapter's task: dependency-head prediction. For every word, which position is its
// head among the start token (ROOT) and every word's first subword; labels sit on first subwords
// (SPEC §7). Scores s[i, j] = (f_i Wq) · (f_j Wk) / √d over candidate positions j.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { DependencyExample, DependencyTrainingRow, type EncodedDependency } from '../../data/schemas.ts';
import { dependencyDir, dependencySplitFiles } from '../../data/layout.ts';
import { isLinguisticDev } from '../../data/splits.ts';
import { encodeDependency, type Skips } from '../../kadapter/examples.ts';
import { crossEntropy, dependencyScores } from '../../kadapter/heads.ts';
import { UserError } from '../../util/errors.ts';
import { readJsonLines } from '../../util/jsonl.ts';
import { BottomK, countBy, sampleRank } from '../../util/sample.ts';
import { buildMissing, linearOf, linearVariables, nonEmpty, pct } from './common.ts';
import type { DevMetrics, KnowledgeData, KnowledgeTask } from './registry.ts';

export const DependencyHead = z.strictObject({
  kind: z.literal('dependency'),
  hidden: z.number().int().min(1),
  fuse: z.boolean(),
  /** Width of the query/key projections. */
  scoreDim: z.number().int().min(1),
});
export type DependencyHead = z.infer<typeof DependencyHead>;

type Kept = { example: EncodedDependency; source: string };

/**
 * Only dependency-train sentences (src/data/splits.ts): the train shards, split by a fixed hash of
 * the id into the adapter's train data and its dev slice, in one pass that feeds both samples.
 */
async function loadBuild(
  config: Parameters<KnowledgeTask['loadBuild']>[0],
  base: Parameters<KnowledgeTask['loadBuild']>[1],
  maxTrain: number | null,
): Promise<KnowledgeData<EncodedDependency>> {
  const maxLength = Math.min(config.model.maxLength, base.maxLength);
  const files = dependencySplitFiles(config, 'train');
  if (files.length === 0) throw buildMissing('dependency', dependencyDir(config), config.profile);
  const skips: Record<string, Skips> = { train: {}, dev: {} };
  const read: Record<string, number> = { train: 0, dev: 0 };
  const seed = config.adapters.sampleSeed;
  const samples = { train: new BottomK<Kept>(maxTrain), dev: new BottomK<Kept>(config.adapters.maxDev) };
  for (const f of files) {
    for await (const row of readJsonLines(f, DependencyExample, skips.train!)) {
      const split = isLinguisticDev(row.id) ? 'dev' : 'train';
      read[split]!++;
      const rank = sampleRank(seed, row.id);
      if (!samples[split].wouldKeep(rank, row.id)) continue;
      const example = encodeDependency(row, base.tokenizer, maxLength, skips[split]!);
      if (example) samples[split].offer(rank, { example, source: row.source }, row.id);
    }
  }
  const kept = { train: samples.train.sorted(), dev: samples.dev.sorted() };
  return nonEmpty('linguistic', {
    labels: [],
    splits: { train: kept.train.map((k) => k.example), dev: kept.dev.map((k) => k.example) },
    skips,
    read,
    sourceMix: { train: countBy(kept.train, (k) => k.source), dev: countBy(kept.dev, (k) => k.source) },
  });
}

async function loadFiles(
  files: { train: string; dev: string },
  base: Parameters<KnowledgeTask['loadBuild']>[1],
  maxLength: number,
): Promise<KnowledgeData<EncodedDependency>> {
  const skips: Record<string, Skips> = { train: {}, dev: {} };
  const splits = { train: [] as EncodedDependency[], dev: [] as EncodedDependency[] };
  for (const split of ['train', 'dev'] as const) {
    if (!fs.existsSync(files[split])) throw new UserError(`${files[split]}: no such file`);
    for await (const row of readJsonLines(files[split], DependencyTrainingRow, skips[split]!)) {
      const e = encodeDependency(row, base.tokenizer, maxLength, skips[split]!);
      if (e) splits[split].push(e);
    }
  }
  const read = { train: splits.train.length, dev: splits.dev.length };
  return { labels: [], splits, skips, read, sourceMix: { train: {}, dev: {} } };
}

/** [B, T]: 1 at ROOT (position 0) and at every word's first subword. */
export function candidateMask(exs: EncodedDependency[], T: number): tf.Tensor2D {
  const m = new Int32Array(exs.length * T);
  exs.forEach((e, b) => {
    m[b * T] = 1;
    for (const p of e.firsts) m[b * T + p] = 1;
  });
  return tf.tensor2d(m, [exs.length, T], 'int32');
}

/** Per token position, the head position to predict (-1: no label). */
export function headLabels(exs: EncodedDependency[], T: number): Int32Array {
  const y = new Int32Array(exs.length * T).fill(-1);
  exs.forEach((e, b) => e.firsts.forEach((p, w) => (y[b * T + p] = e.heads[w]!)));
  return y;
}

/** "Attach to the next word" (a strong trivial baseline for English) and uniform random over the candidates. */
function trivialBaselines(data: KnowledgeData<EncodedDependency>): Record<string, DevMetrics> {
  let words = 0;
  let next = 0;
  let expectedRandom = 0;
  for (const e of data.splits.dev) {
    e.heads.forEach((h, w) => {
      if (h < 0) return;
      words++;
      if (h === (e.firsts[w + 1] ?? 0)) next++;
      expectedRandom += 1 / (e.firsts.length + 1);
    });
  }
  return {
    'next word (last → ROOT)': { examples: data.splits.dev.length, loss: NaN, uas: next / words, words },
    random: { examples: data.splits.dev.length, loss: NaN, uas: expectedRandom / words, words },
  };
}

/** The dependency train shards: the linguistic adapter's dev set is a held-out slice of them. */
const inputs = (config: Parameters<KnowledgeTask['inputs']>[0]) => {
  const files = dependencySplitFiles(config, 'train');
  return files.length ? [{ label: 'dependency/train', files }] : [];
};

async function* sentences(file: string) {
  for await (const r of readJsonLines(file, DependencyExample, {})) yield { id: r.id, words: r.tokens };
}

export const dependencyTask: KnowledgeTask<EncodedDependency, DependencyHead> = {
  name: 'dependency',
  adapter: 'linguistic',
  mainMetric: 'uas',
  fileFormat: 'dependency rows {id, tokens, heads}',
  inputs,
  sentences,
  loadBuild,
  loadFiles,
  head: (config, hidden, _data, fuse) => ({ kind: 'dependency', hidden, fuse, scoreDim: config.adapters.headScoreDim }),
  headSchema: DependencyHead,
  initHead: (head, init) => ({
    ...linearVariables('query', init.linear(head.hidden, head.scoreDim, 0.02)),
    ...linearVariables('key', init.linear(head.hidden, head.scoreDim, 0.02)),
  }),
  logits: (_head, w, f, examples) =>
    dependencyScores(linearOf(w, 'query'), linearOf(w, 'key'), f, candidateMask(examples, f.shape[1])),
  loss: (logits, examples) => {
    const [B, T] = [logits.shape[0]!, logits.shape[1]!];
    const y = tf.tensor1d(headLabels(examples, T), 'int32');
    return crossEntropy(logits.reshape([B * T, T]) as tf.Tensor2D, y);
  },
  scorer: () => {
    let words = 0;
    let correct = 0;
    return {
      add: (examples, argmax) =>
        examples.map((e, b) => {
          const row = (argmax as number[][])[b]!;
          const predicted = e.firsts.map((p) => row[p]!);
          e.heads.forEach((h, w) => {
            if (h < 0) return;
            words++;
            if (predicted[w] === h) correct++;
          });
          return { id: e.id, gold: e.heads, predicted };
        }),
      scores: () => ({ uas: words ? correct / words : 0, words }),
    };
  },
  trivialBaselines,
  format: (m) => `UAS ${pct(m.uas)} over ${m.words} words`,
  columns: (m) => ({ 'dev UAS': pct(m.uas) }),
};
