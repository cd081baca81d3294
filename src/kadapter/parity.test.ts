import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../util/paths.ts';
import { initBackend } from './backend.ts';
import { disposeBaseModel, loadBaseModel, type BaseModel } from './base-model.ts';
import { compareWithReference } from './parity.ts';
import { openSafetensors, writeSafetensors, type TensorToWrite } from './safetensors.ts';

const dir = path.join(repoRoot, 'test', 'fixtures', 'parity');
const sentences = JSON.parse(fs.readFileSync(path.join(dir, 'sentences.json'), 'utf8')) as string[];

// The native backend exists where `npm run setup:tensorflow` built it (CI does).
const native = await initBackend('tensorflow').then(
  () => true,
  () => false,
);

describe.each(['cpu', 'wasm', 'tensorflow'] as const)('parity with transformers on the %s backend', (backend) => {
  const models: BaseModel[] = [];
  beforeAll(async () => {
    await initBackend(backend);
  });
  afterAll(() => models.forEach(disposeBaseModel));

  const missing = backend === 'tensorflow' && !native;
  describe.skipIf(missing).each(['bert-tiny', 'roberta-tiny'])(
    `%s${missing ? ' (skipped: native backend not built here; npm run setup:tensorflow builds it)' : ''}`,
    (name) => {
      it('gives the reference token ids, first subwords and hidden states (max |Δ| ≤ 1e-4 on every layer)', () => {
        const model = loadBaseModel(path.join(dir, name));
        models.push(model);
        const r = compareWithReference(model, sentences, path.join(dir, `${name}.reference.safetensors`));
        expect(r.idsEqual).toBe(sentences.length);
        expect(r.wordsEqual).toBe(sentences.length);
        expect(r.maxAbsDiff).toHaveLength(model.config.layers + 1);
        for (const d of r.maxAbsDiff) expect(d).toBeLessThanOrEqual(1e-4);
      });

      it('builds the same tokenizer from the vocabulary files alone', () => {
        const model = loadBaseModel(path.join(dir, name), { fromVocabFiles: true });
        models.push(model);
        expect(model.tokenizer.kind).not.toBe('tokenizer.json');
        const r = compareWithReference(model, sentences, path.join(dir, `${name}.reference.safetensors`));
        expect(r.idsEqual).toBe(sentences.length);
        expect(r.wordsEqual).toBe(sentences.length);
      });
    },
  );
});

describe('parity counts the real tokens only', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-parity-'));
  let model: BaseModel;
  beforeAll(async () => {
    await initBackend('cpu');
    model = loadBaseModel(path.join(dir, 'bert-tiny'));
  });
  afterAll(() => {
    disposeBaseModel(model);
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  const source = openSafetensors(path.join(dir, 'bert-tiny.reference.safetensors'));
  const [B, T] = source.tensors.get('input_ids')!.shape as [number, number];
  const mask = source.readInt('attention_mask');
  /** The reference with every hidden state changed at the (b, t) positions `pick` chooses. */
  const edited = (name: string, pick: (b: number, t: number) => boolean, value: (v: number) => number) => {
    const tensors: Record<string, TensorToWrite> = {};
    for (const [n, e] of source.tensors) {
      if (!n.startsWith('hidden.')) {
        tensors[n] = { dtype: e.dtype, shape: e.shape, bytes: source.readBytes(n) };
        continue;
      }
      const data = source.read(n);
      const H = e.shape[2]!;
      for (let b = 0; b < B; b++)
        for (let t = 0; t < T; t++)
          if (pick(b, t)) for (let h = 0; h < H; h++) data[(b * T + t) * H + h] = value(data[(b * T + t) * H + h]!);
      tensors[n] = { dtype: 'F32', shape: e.shape, data };
    }
    const file = path.join(scratch, `${name}.safetensors`);
    writeSafetensors(file, tensors);
    return file;
  };

  it('ignores what the reference holds at padded positions', () => {
    expect(mask.includes(0)).toBe(true); // else the batch has no padding to ignore
    const file = edited(
      'padded',
      (b, t) => mask[b * T + t] === 0,
      () => 1e3,
    );
    const r = compareWithReference(model, sentences, file);
    for (const d of r.maxAbsDiff) expect(d).toBeLessThanOrEqual(1e-4);
  });

  it('still sees a real token that differs, on a padded row', () => {
    const b = Array.from({ length: B }, (_, i) => i).find((i) => mask[i * T + T - 1] === 0)!;
    const last = mask.subarray(b * T, (b + 1) * T).lastIndexOf(1);
    const file = edited(
      'real',
      (bb, t) => bb === b && t === last,
      (v) => v + 0.01,
    );
    const r = compareWithReference(model, sentences, file);
    for (const d of r.maxAbsDiff) expect(d).toBeGreaterThan(0.009);
  });
});
