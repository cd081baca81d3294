// Dev evaluation of knowledge tasks, shared by the adapters and the multi-task base: the mean loss
// over every example, and each task's own scores (its module's scorer).
import type { EncodedExample } from '../../data/schemas.ts';
import { yieldToEventLoop } from '../../util/interrupt.ts';
import type { DevMetrics, DevScorer, HeadSettings, KnowledgeTask, Prediction } from './registry.ts';

/** One dev batch of one task: its examples, its mean loss, and the argmax of its logits. */
export interface DevBatch {
  task: KnowledgeTask;
  examples: EncodedExample[];
  loss: number;
  argmax: number[] | number[][];
}

/**
 * Scores the dev batches of the given tasks with their heads (in their order in the metrics). The batches are computed lazily; the event loop gets a turn
 * between them (signals).
 */
export async function evaluateDev(
  tasks: { task: KnowledgeTask; head: HeadSettings }[],
  batches: Iterable<DevBatch>,
): Promise<{ metrics: DevMetrics; predictions: Prediction[] }> {
  let lossSum = 0;
  let n = 0;
  const predictions: Prediction[] = [];
  const scorers = new Map<string, DevScorer>(tasks.map(({ task, head }) => [task.name, task.scorer(head)]));
  for (const { task, examples, loss, argmax } of batches) {
    lossSum += loss * examples.length;
    n += examples.length;
    const scorer = scorers.get(task.name);
    if (!scorer) throw new Error(`a dev batch of ${task.name}, which is not being scored`);
    predictions.push(...scorer.add(examples, argmax));
    await yieldToEventLoop();
  }
  const metrics: DevMetrics = { examples: n, loss: n ? lossSum / n : 0 };
  for (const s of scorers.values()) Object.assign(metrics, s.scores());
  return { metrics, predictions };
}

/** The metrics in one line: each task's scores, then the loss. */
export const formatMetrics = (tasks: KnowledgeTask[], m: DevMetrics): string =>
  `${tasks.map((t) => t.format(m)).join('; ')}, loss ${m.loss.toFixed(4)}`;
