// The POS probe: every word's first subword, one tag each (softmax): logits = W f_word. Its one
// set is the Brown sentences of the build's dependency data with Brown's hand-assigned tags (the
// dependency split rule holds Brown's test sections out); a prediction is a tag per word.
import { z } from 'zod';
import { dependencyDir, dependencySplitFiles } from '../../data/layout.ts';
import { DependencyExample, SPLITS } from '../../data/schemas.ts';
import { readJsonl } from '../../util/jsonl.ts';
import { accuracy, accuracyOf } from '../../util/metrics.ts';
import { argmaxLabels, count, labelIndices, softmaxLoss } from './common.ts';
import type { DownstreamTask, Encoding, TaskExample } from './registry.ts';

/** A sentence with gold tags, encoded; a sentence cut by maxLength keeps the words that fit (counted). */
export function encodePos(ex: DependencyExample, e: Encoding): TaskExample | null {
  if (!ex.gold_pos || ex.gold_pos.length !== ex.tokens.length) return (count(e.skips, 'no gold POS tags'), null);
  const enc = e.tokenizer.encodeWords(ex.tokens, e.maxLength);
  const kept = enc.firstSubword.filter((p) => p >= 0).length;
  if (kept < ex.tokens.length) count(e.skips, 'sentences cut by maxLength');
  if (kept === 0) return null;
  return { id: ex.id, ids: enc.ids, positions: enc.firstSubword.slice(0, kept), gold: ex.gold_pos.slice(0, kept) };
}

const Tags = z.array(z.string());

export const posTask: DownstreamTask<string[]> = {
  name: 'pos',
  title: 'POS probe (Brown, held-out sections)',
  sets: {
    kind: 'build',
    name: 'brown',
    provenance: 'brown-gold',
    dir: dependencyDir,
    note: '(Brown, gold tags; test = held-out sections)',
    filesProblem: (config, where) =>
      SPLITS.some((s) => dependencySplitFiles(config, s).length === 0)
        ? `no dependency split files in ${where} (build-data --part dependency)`
        : null,
    async *read(config, split, e) {
      for (const f of dependencySplitFiles(config, split)) {
        for await (const r of readJsonl(f, DependencyExample)) {
          if (r.source !== 'brown') continue;
          yield {
            key: r.id,
            source: r.source,
            sentenceId: r.id,
            text: r.tokens.join(' '),
            encode: () => encodePos(r, e),
          };
        }
      }
    },
  },
  mainMetric: 'accuracy',
  columns: [['accuracy', 'accuracy']],
  paper: null,
  dataEfficiencyCurve: false,
  positionsPerPrediction: 1,
  labels: (train) => train,
  splitProblem: () => null,
  targets: labelIndices,
  loss: softmaxLoss,
  predict(logits, examples, labels) {
    // One row per word: each example takes as many as it has positions.
    const best = argmaxLabels(logits, labels);
    let at = 0;
    return examples.map((e) => {
      const tags = best.slice(at, at + e.positions.length);
      at += e.positions.length;
      return tags;
    });
  },
  score: (_labels, gold, predicted) => ({ accuracy: accuracy(gold.flat(), predicted.flat()) }),
  mainMetricCounts(_labels, gold, predicted) {
    const k = 2;
    const counts = new Float64Array(gold.length * k);
    gold.forEach((g, i) => counts.set([g.filter((t, j) => t === predicted[i]![j]).length, g.length], i * k));
    return { k, counts, of: ([c, n]) => accuracyOf(c!, n!) };
  },
  predictionLine: (example, predicted) => ({ gold: example.gold, predicted }),
  readPrediction: (line) => Tags.parse(line.predicted),
  // Its dev and test sentences; its train sentences are in dependency/train, a pre-training input.
  leakageFiles: (config, split) =>
    split === 'train' ? null : { files: dependencySplitFiles(config, split), id: 'id', source: 'brown' },
};
