// Metrics as the papers define them, in one place for adapter pre-training and downstream tasks.

export interface PRF {
  precision: number;
  recall: number;
  f1: number;
}

const f1Of = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

/**
 * TACRED's micro P/R/F1: `negative` (no_relation) is not a class to find — a prediction counts
 * only when it is not negative, a gold only when it is not negative.
 */
export function relationMicro(gold: string[], pred: string[], negative = 'no_relation'): PRF {
  let correct = 0;
  let guessed = 0;
  let actual = 0;
  gold.forEach((g, i) => {
    const p = pred[i]!;
    if (p !== negative) guessed++;
    if (g !== negative) actual++;
    if (p !== negative && p === g) correct++;
  });
  const precision = guessed ? correct / guessed : 0;
  const recall = actual ? correct / actual : 0;
  return { precision, recall, f1: f1Of(precision, recall) };
}

/** Macro F1 over the gold relation labels other than the negative one. */
export function relationMacroF1(gold: string[], pred: string[], negative = 'no_relation'): number {
  const labels = [...new Set(gold)].filter((l) => l !== negative).sort();
  if (labels.length === 0) return 0;
  const f1s = labels.map((l) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    gold.forEach((g, i) => {
      const p = pred[i]!;
      if (p === l && g === l) tp++;
      else if (p === l) fp++;
      else if (g === l) fn++;
    });
    const precision = tp + fp ? tp / (tp + fp) : 0;
    const recall = tp + fn ? tp / (tp + fn) : 0;
    return f1Of(precision, recall);
  });
  return f1s.reduce((a, b) => a + b, 0) / f1s.length;
}

export function accuracy(gold: unknown[], pred: unknown[]): number {
  if (gold.length === 0) return 0;
  return gold.filter((g, i) => g === pred[i]).length / gold.length;
}
