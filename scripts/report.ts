// npm run report -- [--profile default] — writes report.md and the plots again from results.json
// (after a change to the report's wording or plots; the numbers are not recomputed).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.ts';
import { barChart, curveChart, renderPlot } from '../src/eval/plots.ts';
import { writeReport, type Results } from '../src/eval/report.ts';

const { values } = parseArgs({ options: { profile: { type: 'string', default: 'default' } } });
const dir = loadConfig({ profile: values.profile }).paths.reportsDir;
const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as Results;
await writeReport(dir, results, { barChart, curveChart, renderPlot });
process.stdout.write(`${path.join(dir, 'report.md')}\n`);
