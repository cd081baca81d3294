// Dev metrics of a knowledge-task run, as checkpoints, metrics.jsonl and summary.json hold them:
// the example count, the mean loss, and each task's own scores by name (src/tasks/knowledge).
import { z } from 'zod';

const count = z.number().int().min(0);

export const DevMetrics = z.object({ examples: count, loss: z.number() }).catchall(z.number());
export type DevMetrics = z.infer<typeof DevMetrics>;
