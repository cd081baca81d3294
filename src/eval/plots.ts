// The report's plots: Vega-Lite specs rendered to SVG by Vega (no browser) and to PNG by resvg.
import fs from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const FONT = 'DejaVu Sans';

export async function renderPlot(spec: TopLevelSpec, pngFile: string): Promise<void> {
  const compiled = compile({ ...spec, config: { font: FONT, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG(2);
  view.finalize();
  fs.writeFileSync(pngFile.replace(/\.png$/, '.svg'), svg);
  const png = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: FONT }, background: 'white' })
    .render()
    .asPng();
  fs.writeFileSync(pngFile, png);
}

/** The parts every plot shares: schema, title, size and its data rows. */
function frame(title: string, width: number, values: object[]) {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, width, height: 260, data: { values } };
}

export interface RowPoint {
  row: string;
  combine: string;
  mean: number;
  std: number;
}

/** One dot per row (with its combination), error bars at ± one standard deviation over seeds. */
export function rowChart(title: string, metric: string, points: RowPoint[]): TopLevelSpec {
  const data = points.map((p) => ({
    ...p,
    label: p.combine === '—' ? p.row : `${p.row} (${p.combine})`,
    low: p.mean - p.std,
    high: p.mean + p.std,
  }));
  return {
    ...frame(title, 520, data),
    encoding: { y: { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 400 } } },
    // A dot per row rather than a bar: the x scale leaves out zero so that differences of a point
    // show, and a bar's length would then mean nothing. Every layer shares that scale.
    layer: [
      {
        mark: { type: 'point', filled: true, size: 70, color: '#4c78a8' },
        encoding: { x: { field: 'mean', type: 'quantitative', title: metric, scale: { zero: false } } },
      },
      {
        mark: { type: 'rule', color: 'black' },
        encoding: { x: { field: 'low', type: 'quantitative', scale: { zero: false } }, x2: { field: 'high' } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 },
        encoding: {
          x: { field: 'high', type: 'quantitative', scale: { zero: false } },
          text: { field: 'mean', type: 'quantitative', format: '.2f' },
        },
      },
    ],
  } as TopLevelSpec;
}

export interface CurvePoint {
  row: string;
  perRelation: string;
  mean: number;
  std: number;
}

/** Relation F1 against training examples per relation, one line per row, ± std bands. */
export function curveChart(title: string, points: CurvePoint[], order: string[]): TopLevelSpec {
  const data = points.map((p) => ({ ...p, low: p.mean - p.std, high: p.mean + p.std }));
  return {
    ...frame(title, 420, data),
    encoding: {
      x: { field: 'perRelation', type: 'ordinal', sort: order, title: 'training examples per relation' },
      color: { field: 'row', type: 'nominal', title: 'row' },
    },
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: { y: { field: 'mean', type: 'quantitative', title: 'micro-F1 (test)' } },
      },
      { mark: { type: 'rule' }, encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
    ],
  } as TopLevelSpec;
}
