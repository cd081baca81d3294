// Dev evaluation of the knowledge tasks, shared by the adapters and the multi-task base: the mean
// loss, relation micro/macro scores and the unlabelled attachment score over labelled words.
import type { DevMetrics } from '../data/files.ts';
import type { EncodedExample } from '../data/schemas.ts';
import { yieldToEventLoop } from '../util/interrupt.ts';
import { relationDevScores } from '../util/metrics.ts';
import type { KnowledgeTask } from './forward.ts';

export type { DevMetrics };

export interface Prediction {
  id: string;
  gold: string | number[];
  predicted: string | number[];
}

/** One dev batch: its examples, its mean loss, and the argmax of its logits. */
export interface DevBatch {
  examples: EncodedExample[];
  loss: number;
  /** relation: [B] label index; dependency: [B][T] head position per token position. */
  argmax: number[] | number[][];
}

/**
 * Scores the dev batches of the given tasks; `labels` names the relation label indices. The
 * batches are computed lazily; the event loop gets a turn between them (signals).
 */
export async function evaluateDev(
  tasks: KnowledgeTask[],
  batches: Iterable<DevBatch>,
  labels: string[] = [],
): Promise<{ metrics: DevMetrics; predictions: Prediction[] }> {
  let lossSum = 0;
  let n = 0;
  const predictions: Prediction[] = [];
  const gold: string[] = [];
  const pred: string[] = [];
  let correctHeads = 0;
  let words = 0;
  for (const { examples, loss, argmax } of batches) {
    lossSum += loss * examples.length;
    n += examples.length;
    examples.forEach((e, b) => {
      if (e.task === 'relation') {
        const g = labels[e.label]!;
        const p = labels[(argmax as number[])[b]!]!;
        gold.push(g);
        pred.push(p);
        predictions.push({ id: e.id, gold: g, predicted: p });
      } else {
        const row = (argmax as number[][])[b]!;
        const predicted = e.firsts.map((p) => row[p]!);
        e.heads.forEach((h, w) => {
          if (h < 0) return;
          words++;
          if (predicted[w] === h) correctHeads++;
        });
        predictions.push({ id: e.id, gold: e.heads, predicted });
      }
    });
    await yieldToEventLoop();
  }
  const metrics: DevMetrics = { examples: n, loss: n ? lossSum / n : 0 };
  if (tasks.includes('relation')) Object.assign(metrics, relationDevScores(gold, pred));
  if (tasks.includes('dependency')) Object.assign(metrics, { uas: words ? correctHeads / words : 0, words });
  return { metrics, predictions };
}

export function formatMetrics(m: DevMetrics): string {
  if (m.uas !== undefined) return `UAS ${(100 * m.uas).toFixed(2)} over ${m.words} words, loss ${m.loss.toFixed(4)}`;
  return `micro-F1 ${(100 * m.microF1!).toFixed(2)} (P ${(100 * m.microP!).toFixed(2)} R ${(100 * m.microR!).toFixed(2)}), macro-F1 ${(100 * m.macroF1!).toFixed(2)}, acc ${(100 * m.accuracy!).toFixed(2)}, loss ${m.loss.toFixed(4)}`;
}
