// results.json and report.md: a summary line per downstream set (src/eval/summary.ts), then each
// set in its own section — where its labels come from, its size and expected noise, the table
// (mean ± std over seeds, the paper's numbers beside, clearly marked), plots, confidence intervals,
// and a plain statement of whether the paper's direction — adapters above the base and above
// random adapters — shows on it.
import fs from 'node:fs';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { findDownstreamTask } from '../tasks/downstream/index.ts';
import type { Comparison, NotEvaluated, Results, RowResult, TaskResult, VerifiedResult } from './results-schema.ts';
import type { RowPoint, CurvePoint } from './plots.ts';
import {
  chosenFL,
  comparisonWith,
  describeSet,
  pct,
  setsInOrder,
  signed,
  summaryTable,
  taskTitle,
  verdict,
} from './summary.ts';

export { pct, signed };

/** results.json and its parts, typed with their schemas in src/eval/results-schema.ts. */
export type { Results, RowResult, TaskResult };

const PROTOCOLS: Record<string, string> = {
  frozen: 'base and adapters frozen; task layers trained on their features',
  finetune: 'the base fine-tuned with the task layers, adapters frozen; a fresh copy of the base per row and seed',
};

export interface Plotting {
  rowChart(title: string, metric: string, points: RowPoint[]): TopLevelSpec;
  curveChart(title: string, points: CurvePoint[], order: string[]): TopLevelSpec;
  renderPlot(spec: TopLevelSpec, file: string): Promise<void>;
}

/** The plotted points of a table: each row's test mean ± std, in points. */
export const rowPoints = (rows: RowResult[], metric: string): RowPoint[] =>
  rows.map((row) => ({
    row: row.label,
    combine: row.combine,
    mean: 100 * row.test[metric]!.mean,
    std: 100 * row.test[metric]!.std,
  }));

const ci = (c: Comparison) => `${signed(c.diff)} points, 95% interval [${signed(c.low)}, ${signed(c.high)}]`;

/** The references F+L is set against, by row id, with the words for them. */
const REFERENCES: [string, string][] = [
  ['base', 'the plain base'],
  ['random', 'the random-adapter control'],
  ['layers', 'the read-layers control (the random adapters’ limit)'],
  ['mix', 'the scalar-mix control'],
  ['multitask', 'the multi-task base'],
  ['multitask-layers', 'the multi-task base with the same layer access'],
];

/**
 * Whether the paper's direction shows on a task, in words, from the intervals: F+L (its
 * combination chosen on dev) against the base, the random control and the layer-access controls.
 */
export function direction(t: Pick<TaskResult, 'rows' | 'bootstrap' | 'chosenCombine'>): string[] {
  const rowOf = (key: string) => t.rows.find((r) => r.key === key);
  const byId = (id: string) => comparisonWith(t, id);
  const fl = chosenFL(t);
  if (!fl) return ['(no F+L row)'];
  const out = [`F+L (${fl.combine}, chosen on dev) against:`];
  for (const [id, words] of REFERENCES) {
    const c = byId(id);
    if (c)
      out.push(
        `  - ${words} (${rowOf(c.a)!.label}${rowOf(c.a)!.combine !== '—' ? `, ${rowOf(c.a)!.combine}` : ''}): ${ci(c)} — ${verdict(c)}`,
      );
  }
  const vs = (id: string) => verdict(byId(id));
  const beatsBase = vs('base') === 'above';
  const beatsRandom = vs('random') === 'above';
  const controls = ['layers', 'mix'].filter((id) => byId(id));
  const beatsAccess = controls.length > 0 && controls.every((id) => vs(id) === 'above');
  const fails = [
    beatsBase ? null : 'the gain over the base is not distinguishable from zero',
    beatsRandom ? null : 'the trained adapters do not beat the random-adapter control (its interval reaches zero)',
    beatsAccess
      ? null
      : 'they do not beat the layer-access controls, so the gain is access to the base’s lower layers, not infused knowledge',
  ].filter((x) => x !== null);
  out.push(
    fails.length === 0
      ? 'The paper’s direction holds here, and as knowledge: F+L beats the plain base, the random-adapter control and the layer-access controls (every interval excludes zero).'
      : `The paper’s direction does not hold here as infused knowledge: ${fails.join('; ')}.`,
  );
  return out;
}

/** A task's rows on its verified set: the verdicts, each row against both golds, the direction there. */
export function verifiedSection(t: TaskResult, v: VerifiedResult): string[] {
  const share = (n: number) => `${((100 * n) / Math.max(v.judged, 1)).toFixed(0)}%`;
  const md = [
    '### Verified test set',
    '',
    `\`${v.set}\`: ${v.judged} test examples judged by reading the sentence, without any model's prediction: ` +
      `${v.keep} kept (${share(v.keep)}), ${v.correct} corrected (${share(v.correct)}), ${v.drop} dropped (${share(v.drop)}). ` +
      `The automatic label was right for ${(100 * v.agreement).toFixed(1)}% of the examples kept as fair tests. ` +
      `${v.examples} examples scored${v.notInTestSample ? `; ${v.notInTestSample} are not in this build's evaluated test sample` : ''}.`,
    '',
  ];
  if (v.examples === 0)
    return [...md, 'None of its examples is in this build’s evaluated test sample: nothing scored.', ''];
  md.push(
    `Test ${t.metric} on the verified examples (mean ± std over runs), against the automatic gold of the same examples and the verified gold:`,
    '',
    '| row | combine | automatic gold | verified gold |',
    '|---|---|---|---|',
  );
  for (const r of v.rows) {
    const row = t.rows.find((x) => x.key === r.key);
    md.push(`| ${row?.label ?? r.key} | ${row?.combine ?? ''} | ${pct(r.automatic)} | ${pct(r.verified)} |`);
  }
  md.push('', 'On the verified gold:', '');
  for (const line of direction({ ...t, bootstrap: v.bootstrap })) md.push(line.startsWith('  ') ? line : `- ${line}`);
  md.push('');
  return md;
}

export async function writeReport(dir: string, r: Results, plots: Plotting): Promise<void> {
  fs.writeFileSync(path.join(dir, 'results.json'), `${JSON.stringify(r, null, 2)}\n`);
  const md: string[] = [];
  md.push(`# kadapter evaluation — profile \`${r.profile}\``, '');
  md.push(`- Protocol: **${r.protocol}** (${PROTOCOLS[r.protocol] ?? ''}).`);
  md.push(
    `- Base: ${r.base.name} (${r.base.layers} layers, hidden ${r.base.hidden}, ${(Number(r.base.parameters) / 1e6).toFixed(1)}M parameters).`,
  );
  md.push(
    `- Backend: ${r.backend.split(';')[0]}. Seeds: ${r.seeds.join(', ')} (mean ± sample std). Wall time: ${r.seconds.toFixed(0)} s${r.readBack?.length ? ` (sets read back from an earlier evaluation, their inputs unchanged: ${r.readBack.map((k) => `\`${k}\``).join(', ')}; their task-layer times are in the tables)` : ''}${r.evaluatedBeside?.length ? `; evaluated in a second process beside this one, in the same run: ${r.evaluatedBeside.map((k) => `\`${k}\``).join(', ')}` : ''}.`,
  );
  md.push(
    '- The paper’s column is RoBERTa-large on the original OpenEntity and TACRED: a reference for the direction of the effect, not a like-for-like number.',
    '',
  );
  md.push(
    `- Leakage check on sentence ids (no evaluated dev/test sentence in any file anything trains on): ${r.leakage.leaks === 0 ? 'none' : `${r.leakage.leaks} leaking pairs`}.`,
    ...r.leakage.lines.map((l) => `  - ${l}`),
    '',
  );
  md.push(...summaryTable(r));
  for (const entry of setsInOrder(r))
    md.push(
      ...(entry.skipped
        ? notEvaluatedSection(entry.skipped)
        : await setSection(dir, entry.key, entry.result, plots, r)),
    );
  fs.writeFileSync(path.join(dir, 'report.md'), `${md.join('\n')}\n`);
}

/** A set's heading: the task and the set's name. */
const setTitle = (task: string, name: string) => `${taskTitle(task)}: set \`${name}\``;

/** A set that was not evaluated: its heading, where it comes from, and why. */
function notEvaluatedSection(n: NotEvaluated): string[] {
  return [
    `## ${setTitle(n.task, n.set.name)}`,
    '',
    describeSet(n.set),
    `Data: ${n.source}.`,
    '',
    `**Not evaluated:** ${n.reason}.`,
    '',
  ];
}

/** One evaluated set: its data, the row table and plot, the direction, its verified set and curve. */
async function setSection(
  dir: string,
  key: string,
  t: TaskResult,
  plots: Plotting,
  r: Pick<Results, 'replicateSeeds'>,
): Promise<string[]> {
  const md: string[] = [];
  md.push(`## ${setTitle(t.task, t.set.name)}`, '', describeSet(t.set));
  md.push(
    `Data: ${t.source}; ${t.examples.train} train / ${t.examples.dev} dev / ${t.examples.test} test examples ` +
      `(of ${['train', 'dev', 'test'].map((s) => t.sampled[s]?.read ?? '?').join(' / ')} rows read), ${t.labels} labels.`,
  );
  const mix = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort((x, y) => y[1] - x[1])
      .map(([src, n]) => `${src} ${n}`)
      .join(', ');
  md.push(
    `Source mix (seeded hash-ordered samples): ${Object.entries(t.sourceMix)
      .map(
        ([split, counts]) =>
          `${split}: ${mix(counts)}${t.sampled[split]?.cap ? ` (cap ${t.sampled[split]!.cap} of ${t.sampled[split]!.read})` : ''}`,
      )
      .join('; ')}.`,
  );
  const bySource = Object.entries(t.droppedBySource).filter(([, c]) => Object.keys(c).length);
  if (bySource.length)
    md.push(
      `Dropped as seen in pre-training, by source: ${bySource.map(([split, c]) => `${split}: ${mix(c)}`).join('; ')}.`,
    );
  const dropped = Object.entries(t.droppedAsSeenInPretraining);
  if (dropped.length)
    md.push(
      `Dropped from dev/test because their sentence was in adapter pre-training: ${dropped.map(([s, n]) => `${n} ${s}`).join(', ')}.`,
    );
  const unseen = Object.entries(t.unseenTestLabels);
  if (unseen.length)
    md.push(
      `Test labels never seen in training (kept as gold, never predictable): ${unseen.map(([l, n]) => `${l} ×${n}`).join(', ')}.`,
    );
  const skips = Object.entries(t.skipped).filter(([, s]) => Object.keys(s).length);
  if (skips.length) md.push(`Skipped: ${skips.map(([s, k]) => `${s} ${JSON.stringify(k)}`).join('; ')}.`);
  md.push('');
  // A task this process does not know (another's results file) has neither metric nor paper columns.
  const known = findDownstreamTask(t.task);
  const cols = known?.columns ?? [];
  const paper = known?.paper;
  md.push(
    `| row | combine | runs | task-layer params | dev ${t.metric} | ${cols.map(([, h]) => h).join(' | ')} |${paper ? ' paper (RoBERTa-large) |' : ''} task-layer time (s, all runs) |`,
  );
  md.push(`|---|---|---|---|---|${cols.map(() => '---').join('|')}|${paper ? '---|' : ''}---|`);
  for (const row of t.rows) {
    md.push(
      `| ${row.label} | ${row.combine} | ${row.perSeed.length} | ${row.parameters.toLocaleString('en-US')} | ${pct(row.dev[t.metric])} | ${cols.map(([k]) => pct(row.test[k])).join(' | ')} |${paper ? ` ${paper[row.row]?.toFixed(2) ?? '—'} |` : ''} ${row.seconds.toFixed(0)} |`,
    );
  }
  md.push(
    '',
    (r.replicateSeeds === 'paired'
      ? `Runs: a row with several replicates of its weights (adapter pre-training seeds, random draws) trains replicate r with the r-th task seed; other rows train with every task seed; ± is the sample std over the runs. `
      : `Runs: replicates of a row's weights (adapter pre-training seeds, random draws) × task seeds; ± is the sample std over them. `) +
      `Early stopping on dev: ${(100 * t.bestBeforeLast).toFixed(0)}% of runs had their best dev epoch before their last.`,
    '',
  );
  await plots.renderPlot(
    plots.rowChart(
      `${setTitle(t.task, t.set.name)}: test ${t.metric} (± std over seeds)`,
      `${t.metric} (%)`,
      rowPoints(t.rows, t.metric),
    ),
    path.join(dir, `${key}.png`),
  );
  md.push(`![${key}](${key}.png)`, '');
  for (const line of direction(t)) md.push(line.startsWith('  ') ? line : `- ${line}`);
  md.push('');
  if (t.verified) md.push(...verifiedSection(t, t.verified));
  if (t.efficiency.length) {
    const sizes = [...new Set(t.efficiency.map((e) => e.perRelation))];
    const rows = [...new Set(t.efficiency.map((e) => e.row))];
    md.push(
      '### Data efficiency',
      '',
      `Test micro-F1 with k training examples per relation (mean ± std over seeds):`,
      '',
    );
    md.push(`| row | ${sizes.map((s) => `k = ${s}`).join(' | ')} |`, `|---|${sizes.map(() => '---').join('|')}|`);
    for (const row of rows) {
      md.push(
        `| ${row} | ${sizes.map((s) => pct(((e) => (e ? { mean: e.mean, std: e.std } : undefined))(t.efficiency.find((e) => e.row === row && e.perRelation === s)))).join(' | ')} |`,
      );
    }
    md.push('');
    await plots.renderPlot(
      plots.curveChart(
        'Relation classification: data efficiency',
        t.efficiency.map((e) => ({ ...e, mean: 100 * e.mean, std: 100 * e.std })),
        sizes,
      ),
      path.join(dir, 'relation-efficiency.png'),
    );
    md.push('![data efficiency](relation-efficiency.png)', '');
  }
  return md;
}
