// Relation classification (TACRED): "@" around the subject and "#" around the object, as the
// factual adapter's head reads them, pooled at both: logits = W [f@ ; f#] (softmax). Scored as
// TACRED is, micro-F1 over the relations other than no_relation; a prediction is the relation.
import { z } from 'zod';
import { loadTacred, streamTacred } from '../../data/formats.ts';
import { kbpRelationDir, kgRelationDir } from '../../data/layout.ts';
import { encodeRelation, type RelationSpans } from '../../kadapter/examples.ts';
import { relationCounts, relationMacroF1, relationMicro, relationMicroOf } from '../../util/metrics.ts';
import { argmaxLabels, builtSplitIds, labelIndices, softmaxLoss } from './common.ts';
import type { DownstreamTask, Encoding, TaskExample } from './registry.ts';

const NO_RELATION = 'no_relation';

/** A relation row, encoded; null (counted) when its spans do not fit. */
export function encodeRelationRow(row: RelationSpans, e: Encoding): TaskExample | null {
  // Labels are strings here: any relation is encodable; the label set comes from the training file.
  const x = encodeRelation(row, e.tokenizer, new Map([[row.relation, 0]]), e.maxLength, e.skips);
  return x ? { id: x.id, ids: x.ids, positions: [x.subj, x.obj], gold: [row.relation] } : null;
}

export const relationTask: DownstreamTask<string> = {
  name: 'relation',
  title: 'Relation classification',
  sets: {
    kind: 'folders',
    built: {
      kg: { provenance: 'kg-distant-supervision', dir: kgRelationDir },
      kbp: { provenance: 'corenlp-kbp', dir: kbpRelationDir },
    },
    async *read(file, e) {
      for await (const r of streamTacred(file, e.skips))
        yield {
          key: r.id,
          source: r.source ?? 'external',
          sentenceId: r.sentence_id,
          text: r.token.join(' '),
          encode: () => encodeRelationRow(r, e),
        };
    },
    encodeFile(file, e) {
      const { rows, skipped } = loadTacred(file);
      Object.assign(e.skips, skipped);
      return rows.flatMap((r) => encodeRelationRow(r, e) ?? []);
    },
  },
  mainMetric: 'microF1',
  columns: [
    ['microP', 'P'],
    ['microR', 'R'],
    ['microF1', 'micro-F1'],
    ['macroF1', 'macro-F1'],
  ],
  paper: { base: 71.25, multitask: 71.62, F: 71.89, L: 71.96, FL: 72.04 },
  dataEfficiencyCurve: true,
  positionsPerPrediction: 2,
  // no_relation is always a label: the negative class every relation is told from.
  labels: (train) => (train.includes(NO_RELATION) ? train : [...train, NO_RELATION]),
  splitProblem: (examples) =>
    examples.every((e) => e.gold.every((g) => g === NO_RELATION))
      ? `no relation besides ${NO_RELATION} (${examples.length} examples)`
      : null,
  targets: labelIndices,
  loss: softmaxLoss,
  predict: (logits, _examples, labels) => argmaxLabels(logits, labels),
  score(_labels, gold, predicted) {
    const g = gold.map((x) => x[0]!);
    const m = relationMicro(g, predicted);
    return { microP: m.precision, microR: m.recall, microF1: m.f1, macroF1: relationMacroF1(g, predicted) };
  },
  mainMetricCounts(_labels, gold, predicted) {
    const k = 3;
    const counts = new Float64Array(gold.length * k);
    gold.forEach((g, i) => counts.set(relationCounts(g[0]!, predicted[i]!), i * k));
    return { k, counts, of: ([c, g, a]) => relationMicroOf(c!, g!, a!).f1 };
  },
  predictionLine: (example, predicted) => ({ gold: example.gold[0], predicted }),
  readPrediction: (line) => z.string().parse(line.predicted),
  leakageFiles: (config, split) => builtSplitIds(kgRelationDir(config), split),
};
