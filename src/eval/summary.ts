// The top of report.md: one line per downstream set — where its labels come from, its size, the
// label noise to expect of it, and F+L (its combination chosen on dev) against the base, the
// random-adapter control and the layer-access controls as verdicts from the paired intervals. Also
// the few words and figures every part of the report shares.
import { findDownstreamTask, type SetProvenance } from '../tasks/downstream/index.ts';
import type { Comparison, NotEvaluated, Results, SetInfo, TaskResult } from './results-schema.ts';

/** A mean ± std in points. */
export const pct = (x: { mean: number; std: number } | undefined) =>
  x ? `${(100 * x.mean).toFixed(2)} ± ${(100 * x.std).toFixed(2)}` : '';

/** A difference in points, signed. */
export const signed = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;

/** A difference is claimed only where its 95% interval excludes zero. */
export const verdict = (c: Comparison | undefined) =>
  !c ? 'missing' : c.low > 0 ? 'above' : c.high < 0 ? 'below' : 'level';

/** A task's heading: its own title, or its name where this process does not know the task. */
export const taskTitle = (task: string): string => findDownstreamTask(task)?.title ?? task;

/** Where a set's labels come from: a few words for the summary, and the detail for its section. */
const PROVENANCE: Record<SetProvenance, [string, string]> = {
  'kg-distant-supervision': ['KG distant supervision', 'knowledge-graph labels of the build’s own sentences'],
  'corenlp-ner': ['CoreNLP NER', 'on held-out sentences'],
  'corenlp-kbp': ['CoreNLP KBP', 'on held-out sentences, TACRED schema'],
  user: ['user data', 'a folder given by the user'],
  'brown-gold': ['Brown corpus', 'hand-assigned tags'],
};

/** Where a set's labels come from and the noise to expect of them, in words. */
export function describeSet(set: SetInfo): string {
  const n = set.noise;
  const noise = n.measured
    ? `${(100 * n.mislabelled).toFixed(1)}% of the fair test examples mislabelled and ${(100 * n.dropped).toFixed(1)}% no fair test, ` +
      `by ${n.judged} examples judged by hand (\`${n.by}\`, the default build's test set)`
    : 'unmeasured';
  const [words, detail] = PROVENANCE[set.provenance];
  return `Set \`${set.name}\`: ${words} (${detail}); expected label noise: ${noise}.`;
}

/** The F+L row of the combination chosen on dev. */
export const chosenFL = (t: Pick<TaskResult, 'rows' | 'chosenCombine'>) =>
  t.chosenCombine ? t.rows.find((r) => r.row === 'FL' && r.combine === t.chosenCombine) : undefined;

/** F+L's comparison with the reference of a row id (base, random, layers, mix, …). */
export function comparisonWith(t: Pick<TaskResult, 'rows' | 'bootstrap'>, id: string): Comparison | undefined {
  return Object.values(t.bootstrap).find((c) => t.rows.find((r) => r.key === c.a)?.row === id);
}

/** The references of the summary, by row id. */
const SUMMARY_REFERENCES = ['base', 'random', 'layers', 'mix'];

const cells = (t: Pick<TaskResult, 'rows' | 'bootstrap' | 'chosenCombine'>, score: string) => {
  const fl = chosenFL(t);
  if (!fl) return ['(no F+L row)', ...SUMMARY_REFERENCES.map(() => '')];
  return [
    `${score} (${fl.combine})`,
    ...SUMMARY_REFERENCES.map((id) => {
      const c = comparisonWith(t, id);
      return c ? `${verdict(c)} (${signed(c.diff)})` : '—';
    }),
  ];
};

/** A table line; a `|` inside a cell (a reason may quote one) is escaped. */
const row = (xs: (string | number)[]) => `| ${xs.map((x) => String(x).replace(/\|/g, '\\|')).join(' | ')} |`;

/** The summary table: a line per set (and per verified gold), not-evaluated sets with their reason. */
export function summaryTable(r: Pick<Results, 'tasks' | 'notEvaluated'>): string[] {
  const md = [
    '## Summary: F+L against the controls, per set',
    '',
    'F+L with its combination chosen on dev; each verdict is read from the 95% paired-bootstrap interval of F+L minus the control ' +
      '(above or below where it excludes zero, else level), the difference in points beside it. Test scores are the task’s main metric.',
    '',
    row([
      'task',
      'set',
      'labels from',
      'train / dev / test',
      'expected noise',
      'F+L test',
      ...SUMMARY_REFERENCES.map((id) => `vs ${id}`),
    ]),
    row(Array.from({ length: 6 + SUMMARY_REFERENCES.length }, () => '---')),
  ];
  const noise = (s: SetInfo) =>
    s.noise.measured ? `${(100 * s.noise.mislabelled).toFixed(1)}% mislabelled` : 'unmeasured';
  const from = (s: SetInfo) => PROVENANCE[s.provenance][0];
  for (const entry of setsInOrder(r)) {
    const { task, set, skipped } = entry;
    const title = taskTitle(task);
    if (skipped) {
      md.push(
        row([
          title,
          set.name,
          from(set),
          '—',
          noise(set),
          `not evaluated: ${skipped.reason}`,
          ...SUMMARY_REFERENCES.map(() => ''),
        ]),
      );
      continue;
    }
    const t = entry.result;
    const size = `${t.examples.train} / ${t.examples.dev} / ${t.examples.test}`;
    md.push(row([title, set.name, from(set), size, noise(set), ...cells(t, pct(chosenFL(t)?.test[t.metric]))]));
    const v = t.verified;
    if (v && v.examples > 0) {
      const fl = chosenFL(t);
      const score = pct(v.rows.find((x) => x.key === fl?.key)?.verified);
      md.push(
        row([
          title,
          `${set.name}, verified gold`,
          'hand-judged',
          `— / — / ${v.examples}`,
          '—',
          ...cells({ ...t, bootstrap: v.bootstrap }, score),
        ]),
      );
    }
  }
  md.push('');
  return md;
}

/** Every set of the results, evaluated or not, grouped by task in the order the tasks first appear. */
export function setsInOrder(r: Pick<Results, 'tasks' | 'notEvaluated'>): SetEntry[] {
  const all: SetEntry[] = [
    ...Object.entries(r.tasks).map(([key, t]) => ({ key, task: t.task, set: t.set, result: t })),
    ...Object.entries(r.notEvaluated).map(([key, n]) => ({ key, task: n.task, set: n.set, skipped: n })),
  ];
  const order = [...new Set(all.map((e) => e.task))];
  return order.flatMap((task) => all.filter((e) => e.task === task));
}

/** A set of the results: evaluated (its result) or not (why). */
type SetEntry = { key: string; task: string; set: SetInfo } & (
  { result: TaskResult; skipped?: undefined } | { result?: undefined; skipped: NotEvaluated }
);
