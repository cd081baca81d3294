// npm run k-adapter:check -- --python PY --k-adapter-repo DIR
// Proof that `kadapter export --format k-adapter` is the official adapter: random adapters (every
// tensor at a scale that matters) are saved as adapter folders, exported through the CLI, loaded
// into the official AdapterModel from a microsoft/K-Adapter checkout by check_export.py, and fed
// the same base hidden states; its output must match adapterForward's to max |Δ| ≤ 1e-5.
// Two cases: a small one (A 128, 2 heads), which needs the official class's hard-coded widths
// changed, and one at the official width (A 768, 12 heads), which loads into it unchanged.
// PY needs torch and safetensors (dev tooling; the product never runs Python).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { adapterForward, namedAdapterTensors, type AdapterConfig } from '../../src/kadapter/adapter.ts';
import { assignValues } from '../../src/kadapter/variables.ts';
import { kAdapter } from '../../src/methods/k-adapter/method.ts';
import { saveAdapterFiles } from '../../src/methods/files.ts';
import { initBackend } from '../../src/kadapter/backend.ts';
import { loadBaseModel } from '../../src/kadapter/base-model.ts';
import { K_ADAPTER_WEIGHTS } from '../../src/methods/k-adapter/official-files.ts';
import { writeSafetensors } from '../../src/kadapter/safetensors.ts';
import { repoRoot } from '../../src/util/paths.ts';
import { randomAdapter, randomStates } from '../../test/fixtures/kadapter/random-adapter.ts';
import { TINY_BERT } from '../../test/fixtures/kadapter/tiny-task.ts';

const { values } = parseArgs({
  options: {
    python: { type: 'string', default: 'python3' },
    'k-adapter-repo': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
if (!values['k-adapter-repo']) {
  process.stderr.write('k-adapter:check: --k-adapter-repo DIR (a checkout of microsoft/K-Adapter) is required\n');
  process.exit(2);
}

await initBackend('cpu');
// bert-tiny: hidden 32, 2 layers, so the adapters read states 0, 1 and 2.
const base = loadBaseModel(TINY_BERT);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-k-adapter-check-'));
const cases: { name: string; size: number }[] = [
  { name: 'small', size: 128 },
  { name: 'official-width', size: 768 },
];
let failed = false;
for (const c of cases) {
  const dir = path.join(scratch, c.name);
  const cfg: AdapterConfig = {
    baseHidden: base.config.hidden,
    readLayers: [0, 1, 2],
    size: c.size,
    layers: 2,
    chain: 'sum',
    initStd: 0.0002,
    layerNormEps: 1e-5,
  };
  const adapter = randomAdapter(cfg, 11);
  // The random weights as a K-Adapter of the method's registry, for its folder.
  const bound = kAdapter.create(cfg, 0);
  for (const [n, t] of Object.entries(namedAdapterTensors(adapter)))
    assignValues(bound.variables()[n]!, t.dataSync() as Float32Array);
  saveAdapterFiles(path.join(dir, 'adapter'), {
    name: 'factual',
    task: 'relation',
    adapter: bound,
    head: null,
    base,
    lastLayer: base.config.layers,
  });
  execFileSync(
    process.execPath,
    [
      path.join(repoRoot, 'bin', 'kadapter.js'),
      'export',
      '--format',
      'k-adapter',
      '--adapter',
      path.join(dir, 'adapter'),
      '--out',
      path.join(dir, 'export'),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // The official module attends to every position (its mask is all ones), so no padding here.
  const [B, T] = [2, 9];
  const states = randomStates(cfg.readLayers, [B, T, cfg.baseHidden], 7);
  const out = adapterForward(adapter, cfg, states, tf.ones([B, T]) as tf.Tensor2D);
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {
    expected: { dtype: 'F32', shape: out.shape, data: out.dataSync() as Float32Array },
  };
  for (const l of cfg.readLayers)
    tensors[`hidden.${l}`] = { dtype: 'F32', shape: states[l]!.shape, data: states[l]!.dataSync() as Float32Array };
  writeSafetensors(path.join(dir, 'inputs.safetensors'), tensors);
  process.stdout.write(
    `\n== ${c.name}: H ${cfg.baseHidden}, A ${cfg.size}, N ${cfg.layers}, read layers ${cfg.readLayers}\n`,
  );
  try {
    execFileSync(
      values.python!,
      [
        path.join(repoRoot, 'scripts', 'k-adapter', 'check_export.py'),
        '--k-adapter-repo',
        values['k-adapter-repo']!,
        '--weights',
        path.join(dir, 'export', K_ADAPTER_WEIGHTS),
        '--inputs',
        path.join(dir, 'inputs.safetensors'),
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
  } catch {
    failed = true;
  }
}
if (values.keep) process.stdout.write(`\nfiles kept in ${scratch}\n`);
else fs.rmSync(scratch, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
