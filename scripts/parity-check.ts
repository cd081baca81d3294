// npm run parity:check — the encoder against Hugging Face transformers on a real checkpoint:
// token ids and max |Δ| of every layer's hidden states, on every backend that starts here.
// The reference comes from scripts/parity/reference.py (Python dev tooling: torch, transformers);
// pass --python to a Python that has them, or --reference to a file made elsewhere.
//   npm run parity:check -- [--base-model DIR] [--python PY] [--reference FILE]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../src/config/load.ts';
import { initBackend } from '../src/kadapter/backend.ts';
import { disposeBaseModel, loadBaseModel } from '../src/kadapter/base-model.ts';
import { resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';
import { compareWithReference, type ParityReport } from '../src/kadapter/parity.ts';
import { readJsonFile } from '../src/util/json-file.ts';
import { repoRoot } from '../src/util/paths.ts';
import { formatTable } from '../src/util/table.ts';

const { values } = parseArgs({
  options: {
    'base-model': { type: 'string' },
    python: { type: 'string', default: 'python3' },
    reference: { type: 'string' },
  },
});
const config = loadConfig({ baseModel: values['base-model'] });
const dir = resolveBaseModelDir(config);
const outDir = path.join(repoRoot, 'reports', 'parity');
fs.mkdirSync(outDir, { recursive: true });
const name = path.basename(dir);
const reference = values.reference ?? path.join(outDir, `${name}.reference.safetensors`);
if (!values.reference) {
  execFileSync(
    values.python!,
    [path.join(repoRoot, 'scripts', 'parity', 'reference.py'), 'reference', dir, reference],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
}
const sentences = readJsonFile(
  path.join(repoRoot, 'test', 'fixtures', 'parity', 'sentences.json'),
  z.array(z.string()),
);
const results: Record<string, ParityReport> = {};
// The bar the parity tests hold the fixtures to, here on the real base: real tokens only.
const BAR = 1e-4;
const passes = (r: ParityReport) =>
  r.idsEqual === r.sentences && r.wordsEqual === r.sentences && Math.max(...r.maxAbsDiff) <= BAR;
const rows = [];
for (const backend of ['cpu', 'wasm', 'tensorflow'] as const) {
  try {
    await initBackend(backend);
  } catch (e) {
    process.stderr.write(`parity:check: ${backend} skipped: ${(e as Error).message}\n`);
    continue;
  }
  const model = loadBaseModel(dir);
  const r = compareWithReference(model, sentences, reference);
  disposeBaseModel(model);
  results[backend] = r;
  rows.push({
    backend,
    'ids equal': `${r.idsEqual}/${r.sentences}`,
    'word maps equal': `${r.wordsEqual}/${r.sentences}`,
    'max |Δ| (all layers)': Math.max(...r.maxAbsDiff).toExponential(2),
    'worst layer': r.maxAbsDiff.indexOf(Math.max(...r.maxAbsDiff)),
    'ours vs float64': r.exact ? Math.max(...r.exact.ours).toExponential(2) : 'n/a',
    'transformers f32 vs float64': r.exact ? Math.max(...r.exact.reference).toExponential(2) : 'n/a',
    [`bar (ids equal, max |Δ| ≤ ${BAR})`]: passes(r) ? 'pass' : 'FAIL',
  });
}
process.stdout.write(`${dir}\n${formatTable(rows)}\n`);
fs.writeFileSync(
  path.join(outDir, `${name}.json`),
  `${JSON.stringify({ model: dir, sentences: sentences.length, bar: BAR, results }, null, 2)}\n`,
);
if (!Object.values(results).every(passes)) process.exitCode = 1;
