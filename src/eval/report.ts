// results.json and report.md: the tables (mean ± std over seeds, the paper's numbers beside,
// clearly marked), plots, confidence intervals, and a plain statement of whether the paper's
// direction — adapters above the base and above random adapters — shows here.
import fs from 'node:fs';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { Results, RowResult, TaskResult } from '../data/files.ts';
import type { RowPoint, CurvePoint } from './plots.ts';

/** results.json and its parts, typed with their schemas in src/data/files.ts. */
export type { Results, RowResult, TaskResult };

/** The paper's numbers (Findings version, RoBERTa-large, the original OpenEntity and TACRED). */
export const PAPER: Record<string, Record<string, number>> = {
  'entity-typing': { base: 76.23, multitask: 76.97, F: 77.53, L: 76.89, FL: 77.61 },
  relation: { base: 71.25, multitask: 71.62, F: 71.89, L: 71.96, FL: 72.04 },
};

const TITLES: Record<string, string> = {
  'entity-typing': 'Entity typing',
  relation: 'Relation classification',
  pos: 'POS probe (Brown, held-out sections)',
};
const COLUMNS: Record<string, [string, string][]> = {
  'entity-typing': [
    ['looseMicroP', 'P'],
    ['looseMicroR', 'R'],
    ['looseMicroF1', 'loose micro-F1'],
    ['figerStrictAccuracy', 'FIGER strict acc.'],
    ['figerLooseMacroF1', 'FIGER loose macro-F1'],
    ['figerLooseMicroF1', 'FIGER loose micro-F1'],
  ],
  relation: [
    ['microP', 'P'],
    ['microR', 'R'],
    ['microF1', 'micro-F1'],
    ['macroF1', 'macro-F1'],
  ],
  pos: [['accuracy', 'accuracy']],
};

const PROTOCOLS: Record<string, string> = {
  frozen: 'base and adapters frozen; task layers trained on their features',
  finetune: 'the base fine-tuned with the task layers, adapters frozen; a fresh copy of the base per row and seed',
};

const pct = (x: { mean: number; std: number } | undefined) =>
  x ? `${(100 * x.mean).toFixed(2)} ± ${(100 * x.std).toFixed(2)}` : '';

export interface Plotting {
  rowChart(title: string, metric: string, points: RowPoint[]): TopLevelSpec;
  curveChart(title: string, points: CurvePoint[], order: string[]): TopLevelSpec;
  renderPlot(spec: TopLevelSpec, file: string): Promise<void>;
}

/** Whether the paper's direction shows on a task, in words, from the main metric. */
export function direction(t: TaskResult): string[] {
  const m = t.metric;
  const best = (row: string) =>
    t.rows.filter((r) => r.row === row).sort((a, b) => b.test[m]!.mean - a.test[m]!.mean)[0];
  const fl = best('FL');
  const base = best('base');
  const random = best('random');
  if (!fl || !base) return ['(rows missing)'];
  const d = (a: RowResult, b: RowResult) => 100 * (a.test[m]!.mean - b.test[m]!.mean);
  const out = [`F+L (${fl.combine}) − base: ${d(fl, base) >= 0 ? '+' : ''}${d(fl, base).toFixed(2)} points`];
  if (random)
    out.push(
      `F+L (${fl.combine}) − random adapters (${random.combine}): ${d(fl, random) >= 0 ? '+' : ''}${d(fl, random).toFixed(2)} points`,
    );
  const ci = t.bootstrap[`FL-${fl.combine} − base`] as { low: number; high: number } | undefined;
  if (ci)
    out.push(
      `95% paired-bootstrap interval of F+L (${fl.combine}) − base: [${(100 * ci.low).toFixed(2)}, ${(100 * ci.high).toFixed(2)}]`,
    );
  const beatsBase = ci ? ci.low > 0 : d(fl, base) > 0;
  // Beating the control must clear the seeds' noise: the gap exceeds the two rows' stds together.
  const noise = (a: RowResult, b: RowResult) => 100 * (a.test[m]!.std + b.test[m]!.std);
  const beatsRandom = random ? d(fl, random) > noise(fl, random) : false;
  if (random) out[1] += ` (seed noise ${noise(fl, random).toFixed(2)})`;
  out.push(
    beatsBase && beatsRandom
      ? 'The paper’s direction holds here: the knowledge adapters beat the plain base (the interval excludes zero) and the random-adapter control.'
      : `The paper’s direction does not clearly hold here: ${beatsBase ? '' : 'the gain over the base is not distinguishable from zero'}${!beatsBase && !beatsRandom ? '; ' : ''}${beatsRandom ? '' : 'the trained adapters do not beat the random-adapter control beyond seed noise'}.`,
  );
  return out;
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
    `- Backend: ${r.backend.split(';')[0]}. Seeds: ${r.seeds.join(', ')} (mean ± sample std). Wall time: ${r.seconds.toFixed(0)} s.`,
  );
  md.push(
    '- The paper’s column is RoBERTa-large on the original OpenEntity and TACRED: a reference for the direction of the effect, not a like-for-like number.',
    '',
  );
  for (const [task, t] of Object.entries(r.tasks)) {
    md.push(`## ${TITLES[task] ?? task}`, '');
    md.push(
      `Data: ${t.source}; ${t.examples.train} train / ${t.examples.dev} dev / ${t.examples.test} test examples, ${t.labels} labels.`,
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
    const cols = COLUMNS[task] ?? [];
    const paper = PAPER[task];
    md.push(
      `| row | combine | ${cols.map(([, h]) => h).join(' | ')} |${paper ? ' paper (RoBERTa-large) |' : ''} task-layer time (s, all seeds) |`,
    );
    md.push(`|---|---|${cols.map(() => '---').join('|')}|${paper ? '---|' : ''}---|`);
    for (const row of t.rows) {
      md.push(
        `| ${row.label} | ${row.combine} | ${cols.map(([k]) => pct(row.test[k])).join(' | ')} |${paper ? ` ${paper[row.row]?.toFixed(2) ?? '—'} |` : ''} ${row.seconds.toFixed(0)} |`,
      );
    }
    md.push('');
    await plots.renderPlot(
      plots.rowChart(
        `${TITLES[task] ?? task}: test ${t.metric} (± std over seeds)`,
        `${t.metric} (%)`,
        t.rows.map((row) => ({
          row: row.label,
          combine: row.combine,
          mean: 100 * row.test[t.metric]!.mean,
          std: 100 * row.test[t.metric]!.std,
        })),
      ),
      path.join(dir, `${task}.png`),
    );
    md.push(`![${task}](${task}.png)`, '');
    for (const line of direction(t)) md.push(`- ${line}`);
    md.push('');
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
  }
  fs.writeFileSync(path.join(dir, 'report.md'), `${md.join('\n')}\n`);
}
