// npm run report -- [--profile default] — writes report.md and the plots again from results.json,
// the ablations' too where they ran (after a change to the wording or plots; no number is recomputed).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.ts';
import { AblationResults as AblationResultsFile, Results } from '../src/data/files.ts';
import { rowChart, curveChart, renderPlot } from '../src/eval/plots.ts';
import { writeReport } from '../src/eval/report.ts';
import { writeAblationReport, type AblationResults } from '../src/eval/ablation.ts';
import { readJsonFile } from '../src/util/json-file.ts';

const { values } = parseArgs({ options: { profile: { type: 'string', default: 'default' } } });
const dir = loadConfig({ profile: values.profile }).paths.reportsDir;
const results = readJsonFile(path.join(dir, 'results.json'), Results);
await writeReport(dir, results, { rowChart, curveChart, renderPlot });
process.stdout.write(`${path.join(dir, 'report.md')}\n`);
const ablation = path.join(dir, 'ablation');
if (fs.existsSync(path.join(ablation, 'results.json'))) {
  // Typed as ablation.ts's interface: the schema's type must fit it.
  const ablationResults: AblationResults = readJsonFile(path.join(ablation, 'results.json'), AblationResultsFile);
  await writeAblationReport(ablation, ablationResults, { rowChart, renderPlot });
  process.stdout.write(`${path.join(ablation, 'report.md')}\n`);
}
