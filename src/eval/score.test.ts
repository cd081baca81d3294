// The bootstrap's counts give each task's main metric exactly as scoreTask does, on any resample.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../kadapter/rng.ts';
import { downstreamTask } from '../tasks/downstream/index.ts';
import { mainMetricCounts, metricOn, scoreTask } from './score.ts';

const rand = mulberry32(11);
const pickOne = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
const labels = ['entity', 'person', 'location', 'organization', 'no_relation', 'per:title', 'NN', 'VB'];

/** Examples of a task and predictions of its own type. */
function fixture(task: string, n: number, nothingGuessed = false): { examples: { gold: string[] }[]; out: unknown[] } {
  if (task === 'entity-typing') {
    const examples = Array.from({ length: n }, () => ({
      gold: labels.slice(0, 4).filter(() => rand() < 0.4),
    }));
    const logits = examples.map(() => labels.map(() => rand() * 4 - 2.5));
    return { examples, out: logits };
  }
  if (task === 'relation') {
    const rel = ['no_relation', 'per:title', 'org:founded'];
    const examples = Array.from({ length: n }, () => ({ gold: [pickOne(rel)] }));
    const predicted = examples.map(() => (nothingGuessed ? 'no_relation' : pickOne(rel)));
    return { examples, out: predicted };
  }
  const examples = Array.from({ length: n }, () => ({
    gold: Array.from({ length: 1 + Math.floor(rand() * 6) }, () => pickOne(['NN', 'VB', 'DT'])),
  }));
  const predicted = examples.map((e) => e.gold.map((g) => (rand() < 0.7 ? g : 'NN')));
  return { examples, out: predicted };
}

describe('the main metric from counts', () => {
  for (const [task, nothingGuessed] of [
    ['entity-typing', false],
    ['relation', false],
    ['relation', true],
    ['pos', false],
  ] as const) {
    const main = downstreamTask(task).mainMetric;
    it(`equals scoreTask's ${main} on ${task}${nothingGuessed ? ' (nothing guessed)' : ''}, whole and resampled`, () => {
      const n = 200;
      const { examples, out } = fixture(task, n, nothingGuessed);
      const counts = mainMetricCounts(task, labels, examples, out);
      const all = Array.from({ length: n }, (_, i) => i);
      expect(metricOn(counts, all)).toBe(scoreTask(task, labels, examples, out)[main]);
      for (let k = 0; k < 20; k++) {
        const idx = all.map(() => Math.floor(rand() * n));
        expect(metricOn(counts, idx)).toBe(scoreTask(task, labels, examples, out, idx)[main]);
      }
    });
  }
});
