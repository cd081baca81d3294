// npm run hf:check — the checkpoint folders saveEncoderCheckpoint writes, loaded by Hugging Face
// transformers: for the tiny parity fixtures and the configured base, a folder of the unchanged
// encoder and one of a perturbed (as if trained) encoder, each checked by scripts/hf/check_folder.py
// (Python dev tooling: torch, transformers, safetensors; pass --python to a Python that has them).
//   npm run hf:check -- [--base-model DIR] [--python PY]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { loadConfig } from '../src/config/load.ts';
import { initBackend } from '../src/kadapter/backend.ts';
import { disposeBaseModel, loadBaseModel, saveEncoderCheckpoint } from '../src/kadapter/base-model.ts';
import { encoderTensors, namedVariables, trainableCopy } from '../src/kadapter/encoder-weights.ts';
import { resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';
import { repoRoot } from '../src/util/paths.ts';

const { values } = parseArgs({
  options: {
    'base-model': { type: 'string' },
    python: { type: 'string', default: 'python3' },
  },
});
const config = loadConfig({ baseModel: values['base-model'] });
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'parity');
const sources = [path.join(fixtures, 'bert-tiny'), path.join(fixtures, 'roberta-tiny'), resolveBaseModelDir(config)];
const outDir = path.join(repoRoot, 'reports', 'hf-check');
await initBackend('cpu');

const failed: string[] = [];
for (const source of sources) {
  const base = loadBaseModel(source);
  const name = path.basename(path.resolve(source));
  const unchanged = path.join(outDir, name, 'unchanged');
  const perturbed = path.join(outDir, name, 'perturbed');
  for (const d of [unchanged, perturbed]) fs.rmSync(d, { recursive: true, force: true });
  saveEncoderCheckpoint(unchanged, base, base.weights, 'hf-check', {});
  // Every encoder weight moved by its own amount, as multi-task training or fine-tuning moves them.
  const moved = trainableCopy(base.weights);
  Object.values(namedVariables(moved)).forEach((v, i) =>
    v.assign(tf.tidy(() => v.mul(1 + 0.01 * ((i % 7) + 1)).add(0.001 * ((i % 5) - 2)))),
  );
  saveEncoderCheckpoint(perturbed, base, moved, 'hf-check', {});
  tf.dispose(encoderTensors(moved));
  disposeBaseModel(base);
  for (const [dir, encoder] of [
    [unchanged, 'same'],
    [perturbed, 'changed'],
  ] as const) {
    try {
      execFileSync(
        values.python!,
        [path.join(repoRoot, 'scripts', 'hf', 'check_folder.py'), source, dir, '--encoder', encoder],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
    } catch {
      failed.push(dir);
    }
  }
}
if (failed.length > 0) {
  process.stderr.write(`hf:check: not whole: ${failed.join(', ')}\n`);
  process.exit(1);
}
process.stdout.write(`hf:check: all ${sources.length * 2} folders whole\n`);
