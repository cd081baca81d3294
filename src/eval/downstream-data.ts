// The downstream tasks' data: train/dev/test of each task, encoded for the base, with the
// sentences the adapters saw in pre-training dropped from dev and test (counted), and the
// seeded subsets of the data-efficiency curve.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { dependencyDir, dependencySplitFiles, factsDir } from '../data/layout.ts';
import { DependencyExample, RelationExample, SPLITS, type Split } from '../data/schemas.ts';
import type { BaseModel } from '../kadapter/base-model.ts';
import type { Skips } from '../kadapter/examples.ts';
import { mulberry32, shuffled } from '../kadapter/rng.ts';
import { UserError } from '../util/errors.ts';
import { readJsonl } from '../util/jsonl.ts';
import { repoRoot } from '../util/paths.ts';
import { encodePos, encodeTaskFile, unseenLabels, type TaskExample, type DownstreamTask } from './tasks.ts';

/** Sentence identity across formats: the characters without whitespace. */
const sentenceKey = (s: string) => s.replace(/\s+/g, '');

/** Sentences the adapters were pre-trained on: factual train/dev examples and dependency train. */
export async function pretrainingSentences(config: Config): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const split of ['train', 'dev']) {
    const file = path.join(factsDir(config), `${split}.jsonl`);
    if (fs.existsSync(file))
      for await (const r of readJsonl(file, RelationExample)) keys.add(sentenceKey(r.token.join('')));
  }
  for (const f of dependencySplitFiles(config, 'train')) {
    for await (const r of readJsonl(f, DependencyExample)) keys.add(sentenceKey(r.tokens.join('')));
  }
  return keys;
}

export interface DownstreamData {
  task: DownstreamTask;
  labels: string[];
  splits: Record<Split, TaskExample[]>;
  skipped: Record<string, Skips>;
  source: string;
  unseenTestLabels: Record<string, number>;
  droppedAsSeenInPretraining: Record<string, number>;
}

/** A task's three splits, encoded for the base. */
export async function loadDownstreamData(
  config: Config,
  base: BaseModel,
  task: DownstreamTask,
  seen: Set<string>,
  trainCap = config.eval.maxTrain[task],
): Promise<DownstreamData> {
  const maxLength = Math.min(config.model.maxLength, base.maxLength);
  const skipped: Record<string, Skips> = { train: {}, dev: {}, test: {} };
  const splits = { train: [], dev: [], test: [] } as Record<Split, TaskExample[]>;
  const dropped: Record<string, number> = {};
  const caps: Record<Split, number | null> = { train: trainCap, dev: config.eval.maxDev, test: config.eval.maxTest };
  let source: string;
  const keep = (split: Split, key: string) => {
    if (split !== 'train' && seen.has(key)) {
      dropped[split] = (dropped[split] ?? 0) + 1;
      return false;
    }
    return true;
  };
  if (task === 'pos') {
    const dir = dependencyDir(config);
    source = `${path.relative(repoRoot, dir)} (Brown, gold tags; test = held-out sections)`;
    for (const split of SPLITS) {
      outer: for (const f of dependencySplitFiles(config, split)) {
        for await (const r of readJsonl(f, DependencyExample)) {
          if (r.source !== 'brown') continue;
          const e = encodePos(r, base.tokenizer, maxLength, skipped[split]!);
          if (e) splits[split].push(e);
          if (caps[split] !== null && splits[split].length >= caps[split]) break outer;
        }
      }
    }
  } else {
    const custom = config.eval.dataDirs[task];
    const dir = custom
      ? path.resolve(repoRoot, custom)
      : path.join(factsDir(config), task === 'relation' ? 'downstream' : 'entity_typing');
    source = path.relative(repoRoot, dir) || dir;
    for (const split of SPLITS) {
      const file = ['json', 'jsonl'].map((ext) => path.join(dir, `${split}.${ext}`)).find((f) => fs.existsSync(f));
      if (!file) throw new UserError(`${task}: no ${split}.json or ${split}.jsonl in ${dir}`);
      splits[split] = encodeTaskFile(task, file, base.tokenizer, maxLength, skipped[split]!, {
        keep: (sentence) => keep(split, sentenceKey(sentence)),
        cap: caps[split],
      });
    }
  }
  for (const split of SPLITS)
    if (splits[split].length === 0)
      throw new UserError(`${task}: the ${split} split has no usable example (${JSON.stringify(skipped[split])})`);
  const labels = [...new Set(splits.train.flatMap((e) => e.gold))].sort();
  const unseen = unseenLabels(splits.test, labels);
  if (task === 'relation' && !labels.includes('no_relation')) labels.push('no_relation');
  return { task, labels, splits, skipped, source, unseenTestLabels: unseen, droppedAsSeenInPretraining: dropped };
}

/** The examples of a relation training set with at most k per relation (seeded choice). */
export function perRelationSubset(examples: TaskExample[], k: number, seed: number): number[] {
  const by = new Map<string, number[]>();
  examples.forEach((e, i) => by.set(e.gold[0]!, [...(by.get(e.gold[0]!) ?? []), i]));
  const rand = mulberry32(seed);
  return [...by.keys()]
    .sort()
    .flatMap((rel) => shuffled(by.get(rel)!, rand).slice(0, k))
    .sort((a, b) => a - b);
}
