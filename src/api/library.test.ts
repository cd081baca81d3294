// The library's surface: compose and encode on the tiny fixture base and a tiny adapter trained
// from JSON Lines, and the README's example, run as a user runs it (import 'kadapter', built dist/).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_BERT } from '../../test/fixtures/kadapter/tiny-task.ts';
import { trainTinyAdapter } from '../../test/fixtures/kadapter/tiny-adapter.ts';
import { readAdapterConfig } from '../methods/files.ts';
import { initBackend } from '../kadapter/backend.ts';
import { loadBaseModel, type BaseModel } from '../kadapter/base-model.ts';
import { encodeSequences } from '../kadapter/encoder.ts';
import { loadAdapterFiles } from '../methods/files.ts';
import { repoRoot } from '../util/paths.ts';
import { compose } from './compose.ts';
import { encode, encodeStream } from './encode.ts';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-library-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
let base: BaseModel;
let adapterDir: string;

beforeAll(async () => {
  await initBackend('cpu');
  base = loadBaseModel(TINY_BERT);
  const run = await trainTinyAdapter(base, path.join(scratch, 'tiny'), {
    train: 32,
    dev: 8,
    extraTrainLines: ['{"not": "a row"}'],
  });
  adapterDir = run.dir;
  expect(run.examples).toEqual({ train: 32, dev: 8 });
  expect(Object.values(run.skipped.train).reduce((a, b) => a + b, 0)).toBe(1);
}, 120_000);

/** h_L and the adapter's output per token for one text, computed directly from the model code. */
function direct(text: string) {
  const a = loadAdapterFiles(adapterDir, base);
  return tf.tidy(() => {
    const { states, mask } = encodeSequences(base.weights, base.config, [base.tokenizer.encodeText(text)], 0);
    const out = a.adapter.forward(states, mask);
    return { hL: states[base.config.layers]!.dataSync() as Float32Array, out: out.dataSync() as Float32Array };
  });
}

const close = (a: Float32Array, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(x).toBeCloseTo(b[i]!, 5));
};

describe('library: train, compose, encode', () => {
  it('trains an adapter from JSON Lines into a folder that records its base', () => {
    const c = readAdapterConfig(adapterDir);
    expect(c.task).toBe('dependency');
    expect(c.model_name).toBe('bert-tiny');
    expect(c.config.size).toBe(16);
  });

  it('sums h_L and the adapter output per token, and concatenates them', async () => {
    const text = 'the cat sat on the mat';
    const { hL, out } = direct(text);
    const [sum] = await encode(compose(base, { components: [adapterDir], combine: 'sum' }), [text], { pool: 'none' });
    close(
      sum!.vector,
      hL.map((x, i) => x + out[i]!),
    );
    const concat = compose(base, { components: [adapterDir], combine: 'concat' });
    expect(concat.width).toBe(64);
    const [c] = await encode(concat, [text], { pool: 'first', parts: true });
    close(c!.vector, [...hL.slice(0, 32), ...out.slice(0, 32)]);
    expect(Object.keys(c!.parts!)).toEqual(['base', 'linguistic']);
    close(c!.parts!.linguistic!, out.slice(0, 32));
  });

  it('pools the mean over the tokens of each input, whatever the batch', async () => {
    const comp = compose(base, { components: [adapterDir] });
    const texts = ['a b', 'the cat sat on the mat', 'one two three'];
    const tokens = await encode(comp, texts, { pool: 'none' });
    const means = await encode(comp, texts, { pool: 'mean', batchTokens: 8 });
    texts.forEach((_, i) => {
      const T = tokens[i]!.ids.length;
      const mean = Array.from({ length: 32 }, (_, d) => {
        let s = 0;
        for (let t = 0; t < T; t++) s += tokens[i]!.vector[t * 32 + d]!;
        return s / T;
      });
      close(means[i]!.vector, mean);
    });
  });

  it('encodes pre-tokenized words with their first subwords, and flags a cut input', async () => {
    const comp = compose(base);
    const [w, long] = await encode(comp, [{ words: ['the', 'cat'] }, 'a '.repeat(200)], { maxLength: 16 });
    expect(w!.firstSubword).toHaveLength(2);
    expect(w!.truncated).toBe(false);
    expect(long!.ids).toHaveLength(16);
    expect(long!.ids[15]).toBe(base.tokenizer.sepId);
    expect(long!.truncated).toBe(true);
  });

  it('streams chunks in input order', async () => {
    const comp = compose(base);
    const texts = Array.from({ length: 7 }, (_, i) => 'word '.repeat(i + 1));
    const chunks: number[] = [];
    const ids: number[][] = [];
    for await (const chunk of encodeStream(comp, texts, { chunkSize: 3 })) {
      chunks.push(chunk.length);
      ids.push(...chunk.map((c) => c.ids));
    }
    expect(chunks).toEqual([3, 3, 1]);
    expect(ids).toEqual(texts.map((t) => base.tokenizer.encodeText(t)));
  });

  it('refuses a scalar mix and a combination without components', () => {
    expect(() => compose(base, { components: [{ kind: 'scalarMix', layers: [0, 1] }] })).toThrow(/scalar mix/);
    expect(() => compose(base, { combine: 'sum' })).toThrow(/at least one component/);
  });
});

describe('the README library example', () => {
  it('runs as written against the built package', () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const block = /<!-- library-example -->\n```ts\n([\s\S]*?)```\n<!-- \/library-example -->/.exec(readme);
    expect(block, 'README has the marked example').not.toBeNull();
    // Inside the package, so that `import 'kadapter'` resolves to the package itself (its exports).
    fs.mkdirSync(path.join(repoRoot, '.cache'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(repoRoot, '.cache', 'readme-example-'));
    try {
      fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'eval', 'tacred'), path.join(dir, 'my-data'), {
        recursive: true,
      });
      fs.writeFileSync(path.join(dir, 'example.ts'), block![1]!);
      const build = spawnSync('npm', ['run', 'build'], { cwd: repoRoot, encoding: 'utf8' });
      expect(build.status, build.stdout + build.stderr).toBe(0);
      const types = spawnSync(
        process.execPath,
        [
          path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
          ...['--noEmit', '--strict', '--skipLibCheck', '--types', 'node'],
          ...['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', 'example.ts'],
        ],
        { cwd: dir, encoding: 'utf8' },
      );
      expect(types.status, types.stdout + types.stderr).toBe(0);
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'example.ts'], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, KADAPTER_BACKEND: process.env.KADAPTER_BACKEND ?? 'auto' },
      });
      expect(run.status, run.stderr).toBe(0);
      // dev micro-F1, the concat width (h_L and one adapter), the parts, the first subwords.
      const printed = run.stdout.trim().split('\n').pop()!;
      expect(printed).toMatch(/^(0|1|0\.\d+) 768 base factual 1 2 4 5 6 7 8$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
