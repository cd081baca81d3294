// Ablations over the combined adapters (F+L): which adapters, trained or random, which adapter
// layers, sum or concat — each variant scored like a row of the main table and set against F+L.
import fs from 'node:fs';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { AdapterComponent, Component, Row } from '../data/composition.ts';
import { z } from 'zod';
import type { RowPoint } from './plots.ts';
import { pct, rowPoints, signed } from './report.ts';
import { Interval, RowResult } from './results-schema.ts';
import { readLayersOf, runKey, scalarMix, trained, untrained, type TrainedAdapter } from './rows.ts';

const count = z.number().int().min(0);

export const ABLATION_FAMILIES = [
  'reference',
  'which adapters',
  'knowledge or capacity',
  'layer access',
  'which adapter layers',
] as const;

/** A variant, with the paired bootstrap interval of it minus F+L of the same combination (null for F+L itself). */
export const AblationRow = RowResult.extend({ family: z.enum(ABLATION_FAMILIES), againstFL: Interval.nullable() });
export type AblationRow = z.infer<typeof AblationRow>;

/** reports/<profile>/ablation/results.json. */
export const AblationResults = z.strictObject({
  profile: z.string(),
  protocol: z.literal('frozen'),
  base: z.record(z.string(), z.unknown()),
  backend: z.string(),
  readLayers: z.array(z.number().int().min(0)),
  seeds: z.array(z.number().int()),
  tasks: z.record(
    z.string(),
    z.strictObject({
      metric: z.string(),
      examples: z.record(z.string(), count),
      /** The task's first set (absent in files written before a task had several). */
      set: z.string().optional(),
      source: z.string(),
      rows: z.array(AblationRow),
    }),
  ),
  /** Tasks whose first set could not be evaluated, with the reason. */
  notEvaluated: z.record(z.string(), z.string()).default({}),
  seconds: z.number(),
});
export type AblationResults = z.infer<typeof AblationResults>;

export type Family = (typeof ABLATION_FAMILIES)[number];

export interface Variant {
  family: Family;
  row: Row;
}

/**
 * The variants, F+L with every combination and the others with the first (the comparison holds
 * the combination fixed). Adapter layer k reads base layer readLayers[k].
 */
export function ablationVariants(o: {
  factual: TrainedAdapter;
  linguistic: TrainedAdapter;
  /** The base's layer count (for the scalar mix). */
  baseLayers: number;
  combines: readonly ('sum' | 'concat')[];
}): Variant[] {
  const { factual: F, linguistic: L, combines } = o;
  const first = combines[0]!;
  const v = (family: Family, id: string, label: string, components: Component[], combine = first): Variant => ({
    family,
    row: { id, label, base: 'base', components, combine: components.length ? combine : 'none' },
  });
  const leaveOut = (c: AdapterComponent, k: number): AdapterComponent => ({ ...c, leaveOut: [k] });
  const delta = (c: AdapterComponent): AdapterComponent => ({ ...c, part: 'delta' });
  const readLayers = F.readLayers;
  return [
    v('reference', 'base', 'base', []),
    ...combines.map((c) => v('reference', 'FL', 'F+L', [trained(F), trained(L)], c)),
    v('which adapters', 'F', 'F alone (L dropped)', [trained(F)]),
    v('which adapters', 'L', 'L alone (F dropped)', [trained(L)]),
    v('knowledge or capacity', 'F-randL', 'F + random L', [trained(F), untrained(L)]),
    v('knowledge or capacity', 'randF-L', 'random F + L', [untrained(F), trained(L)]),
    v('knowledge or capacity', 'randF-randL', 'random F + random L', [untrained(F), untrained(L)]),
    v('layer access', 'layers', 'F+L’s read layers, no adapter', [readLayersOf(F), readLayersOf(L)]),
    v('layer access', 'mix', 'scalar mix of all layers', [scalarMix(o.baseLayers)]),
    v('layer access', 'F-delta', 'F’s delta alone (output − residual path)', [delta(trained(F))]),
    v('layer access', 'L-delta', 'L’s delta alone', [delta(trained(L))]),
    v('layer access', 'FL-delta', 'F+L deltas alone', [delta(trained(F)), delta(trained(L))]),
    ...readLayers.map((layer, k) =>
      v('which adapter layers', `FL-without-${k}`, `F+L without adapter layer ${k + 1} (reads base layer ${layer})`, [
        leaveOut(trained(F), k),
        leaveOut(trained(L), k),
      ]),
    ),
  ];
}

export const variantKey = (v: Variant): string => runKey(v.row);

export function ablationTable(rows: AblationRow[], metric: string): string[] {
  const md = [
    `| family | variant | combine | runs | test ${metric} | Δ vs F+L (points) | 95% interval | differs from F+L |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const d = r.againstFL;
    const differs = !d ? '—' : d.low > 0 ? 'yes, above' : d.high < 0 ? 'yes, below' : 'no';
    md.push(
      `| ${r.family} | ${r.label} | ${r.combine} | ${r.perSeed.length} | ${pct(r.test[metric])} | ${d ? signed(d.diff) : '—'} | ${d ? `[${signed(d.low)}, ${signed(d.high)}]` : '—'} | ${differs} |`,
    );
  }
  return md;
}

export async function writeAblationReport(
  dir: string,
  r: AblationResults,
  plots: {
    rowChart(title: string, metric: string, points: RowPoint[]): TopLevelSpec;
    renderPlot(spec: TopLevelSpec, file: string): Promise<void>;
  },
): Promise<void> {
  fs.writeFileSync(path.join(dir, 'results.json'), `${JSON.stringify(r, null, 2)}\n`);
  const md = [`# kadapter ablations — profile \`${r.profile}\``, ''];
  md.push(
    '- Protocol: **frozen** (base and adapters frozen; task layers trained on their features), as the main table.',
  );
  md.push(
    `- Base: ${r.base.name}; adapter layers read base layers ${r.readLayers.join(', ')}. Backend: ${r.backend.split(';')[0]}.`,
  );
  md.push(`- Seeds: ${r.seeds.join(', ')} (mean ± sample std). Wall time: ${r.seconds.toFixed(0)} s.`);
  md.push(
    "- The first adapter pre-training seed's adapters (the main table covers every seed). A left-out adapter layer keeps its residual path (its input passes on) and drops its block; an adapter's delta is its output less its residual path. Each variant is set against F+L of the same combination by a paired bootstrap over test examples and runs; it differs only where the 95% interval excludes zero.",
    '',
  );
  for (const [task, reason] of Object.entries(r.notEvaluated)) md.push(`- **${task}** not evaluated: ${reason}.`, '');
  for (const [task, t] of Object.entries(r.tasks)) {
    md.push(
      `## ${task}`,
      '',
      `Data: ${t.set ? `set \`${t.set}\` (the task's first), ` : ''}${t.source}; ${t.examples.train} train / ${t.examples.dev} dev / ${t.examples.test} test examples.`,
      '',
    );
    md.push(...ablationTable(t.rows, t.metric), '');
    await plots.renderPlot(
      plots.rowChart(
        `Ablations, ${task}: test ${t.metric} (± std over seeds)`,
        `${t.metric} (%)`,
        rowPoints(t.rows, t.metric),
      ),
      path.join(dir, `${task}.png`),
    );
    md.push(`![${task}](${task}.png)`, '');
  }
  fs.writeFileSync(path.join(dir, 'report.md'), `${md.join('\n')}\n`);
}
