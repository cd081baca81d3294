// Entity typing (OpenEntity, FIGER): "@" before and after the mention, pooled at the first "@";
// multi-label, a sigmoid per label: logits = W f@. A prediction is the example's logits; the
// labels predicted are those with a logit above 0 (OpenEntity), with the argmax added for FIGER's
// metrics so that none is empty.
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { loadTyping, streamTyping, type TypingExample } from '../../data/formats.ts';
import { kgTypingDir, nerTypingDir } from '../../data/layout.ts';
import { SUBJ_MARKER } from '../../kadapter/examples.ts';
import {
  looseMacro,
  looseMicro,
  looseMicroOf,
  strictAccuracy,
  typingCounts,
  typingPredictions,
} from '../../util/metrics.ts';
import { builtSplitIds, count, words } from './common.ts';
import type { DownstreamTask, Encoding, TaskExample } from './registry.ts';

/** A mention's row, encoded; null (counted) when the mention is empty or cut off. */
export function encodeTyping(row: TypingExample, index: number, e: Encoding): TaskExample | null {
  const [start, end] = row.utf16Span;
  const before = words(row.sent.slice(0, start));
  const mention = words(row.sent.slice(start, end));
  if (mention.length === 0) return (count(e.skips, 'empty mention'), null);
  const all = [...before, SUBJ_MARKER, ...mention, SUBJ_MARKER, ...words(row.sent.slice(end))];
  const enc = e.tokenizer.encodeWords(all, e.maxLength);
  const at = enc.firstSubword[before.length]!;
  if (at < 0) return (count(e.skips, 'mention cut by maxLength'), null);
  return { id: String(row.id ?? index), ids: enc.ids, positions: [at], gold: [...new Set(row.labels)] };
}

const Logits = z.array(z.number());

export const entityTypingTask: DownstreamTask<number[]> = {
  name: 'entity-typing',
  title: 'Entity typing',
  sets: {
    kind: 'folders',
    built: {
      kg: { provenance: 'kg-distant-supervision', dir: kgTypingDir },
      ner: { provenance: 'corenlp-ner', dir: nerTypingDir },
    },
    async *read(file, e) {
      let index = 0;
      for await (const r of streamTyping(file, e.skips)) {
        const i = index++;
        yield {
          // Rows of OpenEntity files have no id: their content stands for one.
          key: typeof r.id === 'string' ? r.id : `${r.sent}\u0000${r.start}\u0000${r.end}`,
          source: r.source ?? 'external',
          sentenceId: r.sentence_id,
          text: r.sent,
          encode: () => encodeTyping(r, i, e),
        };
      }
    },
    encodeFile(file, e) {
      const { rows, skipped } = loadTyping(file);
      Object.assign(e.skips, skipped);
      return rows.flatMap((r, i) => encodeTyping(r, i, e) ?? []);
    },
  },
  mainMetric: 'looseMicroF1',
  columns: [
    ['looseMicroP', 'P'],
    ['looseMicroR', 'R'],
    ['looseMicroF1', 'loose micro-F1'],
    ['figerStrictAccuracy', 'FIGER strict acc.'],
    ['figerLooseMacroF1', 'FIGER loose macro-F1'],
    ['figerLooseMicroF1', 'FIGER loose micro-F1'],
  ],
  paper: { base: 76.23, multitask: 76.97, F: 77.53, L: 76.89, FL: 77.61 },
  dataEfficiencyCurve: false,
  positionsPerPrediction: 1,
  labels: (train) => train,
  splitProblem: () => null,
  targets(examples, index) {
    const C = index.size;
    const y = new Float32Array(examples.length * C);
    examples.forEach((e, k) => e.gold.forEach((g) => index.has(g) && (y[k * C + index.get(g)!] = 1)));
    return tf.tensor2d(y, [examples.length, C]);
  },
  loss: (logits, targets) => tf.losses.sigmoidCrossEntropy(targets, logits) as tf.Scalar,
  predict: (logits) => logits,
  score(labels, gold, logits) {
    const open = typingPredictions(logits, labels, false);
    const figer = typingPredictions(logits, labels, true);
    const micro = looseMicro(gold, open);
    return {
      looseMicroP: micro.precision,
      looseMicroR: micro.recall,
      looseMicroF1: micro.f1,
      figerStrictAccuracy: strictAccuracy(gold, figer),
      figerLooseMacroF1: looseMacro(gold, figer).f1,
      figerLooseMicroF1: looseMicro(gold, figer).f1,
    };
  },
  mainMetricCounts(labels, gold, logits) {
    const k = 3;
    const counts = new Float64Array(gold.length * k);
    const pred = typingPredictions(logits, labels, false);
    gold.forEach((g, i) => counts.set(typingCounts(g, pred[i]!), i * k));
    return { k, counts, of: ([o, p, a]) => looseMicroOf(o!, p!, a!).f1 };
  },
  predictionLine: (example, logits) => ({ gold: example.gold, logits }),
  readPrediction: (line) => Logits.parse(line.logits),
  // The kg set's splits (its train split is what the task layers train on).
  leakageFiles: (config, split) => builtSplitIds(kgTypingDir(config), split),
};
