// npm run bench:encoder — forward throughput of the base model (tokens/s at batch 32 × length 128)
// on every backend that starts here, side by side in one run with PyTorch (transformers, same
// checkpoint, same batch) at 1 thread (what wasm and cpu use) and at the machine's cores (what
// native TensorFlow uses). Each backend runs in its own process so its peak memory is its own.
// Prints the table with ratios and writes reports/bench/encoder.json.
//   npm run bench:encoder -- [--base-model DIR] [--python PY] [--seconds S]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { loadConfig } from '../src/config/load.ts';
import type { Backend } from '../src/config/schema.ts';
import { describeBackend, initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel } from '../src/kadapter/base-model.ts';
import { encode } from '../src/kadapter/encoder.ts';
import { resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';
import { parseJsonText, readJsonFile } from '../src/util/json-file.ts';
import { repoRoot } from '../src/util/paths.ts';
import { formatTable, type Row } from '../src/util/table.ts';

const B = 32;
const T = 128;
const { values } = parseArgs({
  options: {
    'base-model': { type: 'string' },
    python: { type: 'string', default: 'python3' },
    seconds: { type: 'string', default: '20' },
    worker: { type: 'string' },
    'with-cpu': { type: 'boolean', default: false },
    ids: { type: 'string' },
  },
});
const config = loadConfig({ baseModel: values['base-model'] });
const dir = resolveBaseModelDir(config);
const seconds = Number(values.seconds);

// What a backend's worker process and the PyTorch side print as their last line.
const WorkerResult = z.strictObject({
  backend: z.string(),
  detail: z.string(),
  batches: z.number(),
  seconds: z.number(),
  tokensPerS: z.number(),
  peakRssMb: z.number(),
});
type WorkerResult = z.infer<typeof WorkerResult>;
const WorkerAnswer = z.union([WorkerResult, z.strictObject({ skipped: z.string() })]);
const TorchResult = z.looseObject({
  torch: z.string(),
  runs: z.array(z.looseObject({ threads: z.number(), tokens_per_s: z.number() })),
  peak_rss_mb: z.number(),
});

if (values.worker) {
  // One backend in this process: warm up once, then run whole batches for the time budget.
  let choice;
  try {
    choice = await initBackend(values.worker as Backend);
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ skipped: (e as Error).message })}\n`);
    process.exit(0);
  }
  const model = loadBaseModel(dir);
  const ids = tf.tensor2d(
    readJsonFile(values.ids!, z.array(z.array(z.number().int()).length(T)).length(B)),
    [B, T],
    'int32',
  );
  const mask = tf.onesLike(ids) as tf.Tensor2D;
  let peak = process.memoryUsage().rss;
  const run = async () => {
    const states = encode(model.weights, model.config, { ids, mask });
    await states[states.length - 1]!.data(); // wait for the backend to finish
    peak = Math.max(peak, process.memoryUsage().rss);
    tf.dispose(states);
  };
  await run();
  let done = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    await run();
    done++;
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < seconds || done < 2);
  const result: WorkerResult = {
    backend: choice.name,
    detail: describeBackend(choice),
    batches: done,
    seconds: elapsed,
    tokensPerS: (done * B * T) / elapsed,
    peakRssMb: peak / 2 ** 20,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-bench-encoder-'));
const idsFile = path.join(scratch, 'ids.json');
{
  // The same batch for every side: ids drawn with a fixed seed from the non-special vocabulary.
  const model = loadBaseModel(dir);
  const V = model.config.vocabSize;
  let s = 12345;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const rows = Array.from({ length: B }, () => {
    const r = Array.from({ length: T }, () => 1000 + Math.floor(rand() * (V - 1000)));
    r[0] = model.tokenizer.clsId;
    r[T - 1] = model.tokenizer.sepId;
    return r;
  });
  fs.writeFileSync(idsFile, JSON.stringify(rows));
}

const cores = os.availableParallelism();
const results: Record<string, unknown> = { model: dir, batch: B, length: T, cores };
const backends: WorkerResult[] = [];
// The pure-JS cpu backend needs minutes a batch here (~0.01× PyTorch); it runs on request only.
for (const backend of values['with-cpu']
  ? (['tensorflow', 'wasm', 'cpu'] as const)
  : (['tensorflow', 'wasm'] as const)) {
  try {
    const out = execFileSync(
      process.execPath,
      [
        ...process.execArgv,
        process.argv[1]!,
        '--worker',
        backend,
        '--ids',
        idsFile,
        '--seconds',
        String(backend === 'cpu' ? Math.min(seconds, 5) : seconds),
        ...(values['base-model'] ? ['--base-model', values['base-model']] : []),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const r = parseJsonText(
      out.toString().trim().split('\n').pop()!,
      WorkerAnswer,
      `bench:encoder: the ${backend} worker's result`,
    );
    if ('skipped' in r) {
      process.stderr.write(`bench:encoder: ${backend} skipped: ${r.skipped}\n`);
      results[`${backend}Skipped`] = r.skipped;
    } else backends.push(r);
  } catch (e) {
    const msg = ((e as { stderr?: Buffer }).stderr?.toString() ?? String(e)).trim().split('\n').pop();
    process.stderr.write(`bench:encoder: ${backend} failed: ${msg}\n`);
    results[`${backend}Failed`] = msg;
  }
}

let torch: z.infer<typeof TorchResult> | null = null;
try {
  const threads = [...new Set([1, cores])].join(',');
  const out = execFileSync(
    values.python!,
    [path.join(repoRoot, 'scripts', 'bench', 'encoder_torch.py'), dir, idsFile, threads, String(seconds)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  torch = parseJsonText(
    out.toString().trim().split('\n').pop()!,
    TorchResult,
    "bench:encoder: the PyTorch side's result",
  );
} catch (e) {
  process.stderr.write(
    `bench:encoder: PyTorch side failed (needs torch and transformers: --python <python with them>): ${((e as { stderr?: Buffer }).stderr?.toString() ?? String(e)).trim().split('\n').pop()}\n`,
  );
}

const torchAt = (n: number) => torch?.runs.find((r) => r.threads === n)?.tokens_per_s;
const rows: Row[] = [];
for (const r of backends) {
  // Native TensorFlow uses every core; wasm (single-threaded SIMD) and cpu one.
  const threads = r.backend.startsWith('tensorflow') ? cores : 1;
  const ref = torchAt(threads);
  rows.push({
    side: `tfjs ${r.backend}`,
    threads,
    'tokens/s': Math.round(r.tokensPerS),
    'vs PyTorch (same threads)': ref ? `${(r.tokensPerS / ref).toFixed(2)}×` : 'n/a',
    'peak RSS MiB': Math.round(r.peakRssMb),
  });
}
for (const run of torch?.runs ?? []) {
  rows.push({
    side: `PyTorch ${torch!.torch}`,
    threads: run.threads,
    'tokens/s': Math.round(run.tokens_per_s),
    'vs PyTorch (same threads)': '1.00×',
    'peak RSS MiB': Math.round(torch!.peak_rss_mb),
  });
}
process.stdout.write(`encoder forward, batch ${B} × length ${T}, ${path.basename(dir)}\n${formatTable(rows)}\n`);
Object.assign(results, { backends, torch });
const outDir = path.join(repoRoot, 'reports', 'bench');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'encoder.json'), `${JSON.stringify(results, null, 2)}\n`);
fs.rmSync(scratch, { recursive: true, force: true });
