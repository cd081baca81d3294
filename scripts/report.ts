// npm run report -- [--profile default] — writes report.md and the plots again from results.json,
// the ablations' too where they ran (after a change to the wording or plots). No model runs: the
// only numbers made again come from the verified sets (datasets/verified/): the kg sets' rows on
// them, read from the runs' saved test predictions, and each set's expected label noise, so that a
// change of verdicts reaches the report.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load.ts';
import { rowChart, curveChart, renderPlot } from '../src/eval/plots.ts';
import { writeReport } from '../src/eval/report.ts';
import { AblationResults, writeAblationReport } from '../src/eval/ablation.ts';
import { Results } from '../src/eval/results-schema.ts';
import { expectedNoise, verifiedResult } from '../src/eval/verified.ts';
import { readJsonFile } from '../src/util/json-file.ts';

const { values } = parseArgs({ options: { profile: { type: 'string', default: 'default' } } });
const config = loadConfig({ profile: values.profile });
const dir = config.paths.reportsDir;
const results = readJsonFile(path.join(dir, 'results.json'), Results);
// The judged figures follow the verdicts as they are now: each set's expected noise, each kg set's verified rows.
for (const entry of Object.values(results.notEvaluated))
  entry.set.noise = expectedNoise(entry.task, entry.set.provenance);
for (const [key, t] of Object.entries(results.tasks)) {
  t.set.noise = expectedNoise(t.task, t.set.provenance);
  const verified = verifiedResult(
    config,
    { task: t.task, provenance: t.set.provenance, key },
    dir,
    t.rows,
    t.chosenCombine,
  );
  if (verified) t.verified = verified;
  else delete t.verified;
}
await writeReport(dir, results, { rowChart, curveChart, renderPlot });
process.stdout.write(`${path.join(dir, 'report.md')}\n`);
const ablation = path.join(dir, 'ablation');
if (fs.existsSync(path.join(ablation, 'results.json'))) {
  const ablationResults = readJsonFile(path.join(ablation, 'results.json'), AblationResults);
  await writeAblationReport(ablation, ablationResults, { rowChart, renderPlot });
  process.stdout.write(`${path.join(ablation, 'report.md')}\n`);
}
