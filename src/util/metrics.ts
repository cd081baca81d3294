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
    const [c, p, a] = relationCounts(g, pred[i]!, negative);
    correct += c;
    guessed += p;
    actual += a;
  });
  return relationMicroOf(correct, guessed, actual);
}

/** One example's share of TACRED's micro counts: [correct, guessed, actual]. */
export function relationCounts(gold: string, pred: string, negative = 'no_relation'): [number, number, number] {
  const guessed = pred !== negative ? 1 : 0;
  return [guessed && pred === gold ? 1 : 0, guessed, gold !== negative ? 1 : 0];
}

/** TACRED's micro P/R/F1 from the totals of relationCounts. */
export function relationMicroOf(correct: number, guessed: number, actual: number): PRF {
  // As the official TACRED scorer: nothing guessed is precision 1 (and F1 0 when there was something to find).
  const precision = guessed ? correct / guessed : 1;
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

/** What relation training reports on dev: TACRED micro P/R/F1, macro-F1 and accuracy. */
export function relationDevScores(gold: string[], pred: string[]) {
  const micro = relationMicro(gold, pred);
  return {
    microP: micro.precision,
    microR: micro.recall,
    microF1: micro.f1,
    macroF1: relationMacroF1(gold, pred),
    accuracy: accuracy(gold, pred),
  };
}

export function accuracy(gold: unknown[], pred: unknown[]): number {
  return accuracyOf(gold.filter((g, i) => g === pred[i]).length, gold.length);
}

export const accuracyOf = (correct: number, total: number): number => (total === 0 ? 0 : correct / total);

// ---- entity typing (Ling & Weld 2012 definitions, as OpenEntity and FIGER report them)

/** Labels predicted from logits: OpenEntity takes logit > 0; FIGER adds the argmax, so none is empty. */
export function typingPredictions(logits: number[][], labels: string[], withArgmax: boolean): string[][] {
  return logits.map((row) => {
    const set = new Set(row.flatMap((v, i) => (v > 0 ? [labels[i]!] : [])));
    if (withArgmax) set.add(labels[row.indexOf(Math.max(...row))]!);
    return [...set];
  });
}

/** Loose micro: overlaps summed over examples, then P = Σ|p∩g|/Σ|p|, R = Σ|p∩g|/Σ|g|. */
export function looseMicro(gold: string[][], pred: string[][]): PRF {
  let overlap = 0;
  let predicted = 0;
  let actual = 0;
  gold.forEach((g, i) => {
    const [o, p, a] = typingCounts(g, pred[i]!);
    overlap += o;
    predicted += p;
    actual += a;
  });
  return looseMicroOf(overlap, predicted, actual);
}

/** One example's share of the loose micro counts: [|p∩g|, |p|, |g|]. */
export function typingCounts(gold: string[], pred: string[]): [number, number, number] {
  const gs = new Set(gold);
  return [pred.filter((x) => gs.has(x)).length, pred.length, gold.length];
}

/** Loose micro P/R/F1 from the totals of typingCounts. */
export function looseMicroOf(overlap: number, predicted: number, actual: number): PRF {
  const precision = predicted ? overlap / predicted : 0;
  const recall = actual ? overlap / actual : 0;
  return { precision, recall, f1: f1Of(precision, recall) };
}

/** Loose macro: P and R averaged per example (P over examples with a prediction), then F1. */
export function looseMacro(gold: string[][], pred: string[][]): PRF {
  let pSum = 0;
  let pN = 0;
  let rSum = 0;
  gold.forEach((g, i) => {
    const p = pred[i]!;
    const gs = new Set(g);
    const overlap = p.filter((x) => gs.has(x)).length;
    if (p.length) {
      pSum += overlap / p.length;
      pN++;
    }
    rSum += g.length ? overlap / g.length : 0;
  });
  const precision = pN ? pSum / pN : 0;
  const recall = gold.length ? rSum / gold.length : 0;
  return { precision, recall, f1: f1Of(precision, recall) };
}

/** Strict accuracy: the predicted set equals the gold set. */
export function strictAccuracy(gold: string[][], pred: string[][]): number {
  if (gold.length === 0) return 0;
  const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
  return gold.filter((g, i) => same(new Set(g), new Set(pred[i]!))).length / gold.length;
}

// ---- confidence

export interface Interval {
  /** The difference b − a on all test examples and all runs. */
  diff: number;
  /** 95% interval: the 2.5th and 97.5th percentiles of the bootstrap differences. */
  low: number;
  high: number;
  /** Share of bootstrap differences below zero (strictly). */
  pBelowZero: number;
}

/** A seeded uniform generator for the bootstrap (independent of the training RNG). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}

function interval(diff: number, diffs: number[]): Interval {
  diffs.sort((x, y) => x - y);
  const q = (p: number) => diffs[Math.min(diffs.length - 1, Math.max(0, Math.round(p * (diffs.length - 1))))]!;
  return { diff, low: q(0.025), high: q(0.975), pBelowZero: diffs.filter((d) => d < 0).length / diffs.length };
}

/**
 * Paired bootstrap over test examples: the difference `metric(b) − metric(a)` on the same resampled
 * examples, `samples` times; the 2.5th and 97.5th percentiles bound a 95% interval.
 */
export function pairedBootstrap(
  n: number,
  metric: (idx: number[], side: 'a' | 'b') => number,
  samples = 1000,
  seed = 1,
): Interval {
  const rand = lcg(seed);
  const all = Array.from({ length: n }, (_, i) => i);
  const diff = metric(all, 'b') - metric(all, 'a');
  const diffs: number[] = [];
  for (let k = 0; k < samples; k++) {
    const idx = Array.from({ length: n }, () => Math.floor(rand() * n));
    diffs.push(metric(idx, 'b') - metric(idx, 'a'));
  }
  return interval(diff, diffs);
}

/**
 * Paired bootstrap over test examples and runs: each sample resamples the test examples (shared by
 * both sides: paired) and, on each side independently, its runs (adapter seed × task seed), so the
 * interval holds the seeds' spread as well as the test set's. A side's value is the mean of
 * `metric` over its resampled runs.
 */
export function pairedRunBootstrap(o: {
  n: number;
  runs: { a: number; b: number };
  metric: (idx: number[], side: 'a' | 'b', run: number) => number;
  samples?: number;
  seed?: number;
}): Interval {
  const rand = lcg(o.seed ?? 1);
  const side = (s: 'a' | 'b', idx: number[], runs: number[]) =>
    runs.reduce((acc, r) => acc + o.metric(idx, s, r), 0) / runs.length;
  const every = (k: number) => Array.from({ length: k }, (_, i) => i);
  const all = every(o.n);
  const diff = side('b', all, every(o.runs.b)) - side('a', all, every(o.runs.a));
  const diffs: number[] = [];
  const draw = (k: number) => Array.from({ length: k }, () => Math.floor(rand() * k));
  for (let k = 0; k < (o.samples ?? 1000); k++) {
    const idx = draw(o.n);
    diffs.push(side('b', idx, draw(o.runs.b)) - side('a', idx, draw(o.runs.a)));
  }
  return interval(diff, diffs);
}

export function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}
