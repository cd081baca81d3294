import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../util/paths.ts';
import { initBackend } from './backend.ts';
import { disposeBaseModel, loadBaseModel } from './base-model.ts';
import { encode } from './encoder.ts';

const fixture = path.join(repoRoot, 'test', 'fixtures', 'parity', 'bert-tiny');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kadapter-base-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
beforeAll(async () => {
  await initBackend('cpu');
});

/** A copy of the tiny BERT with one change. */
function variant(name: string, change: (dir: string) => void): string {
  const dir = path.join(scratch, name);
  fs.cpSync(fixture, dir, { recursive: true });
  change(dir);
  return dir;
}
const editConfig = (dir: string, edit: (c: Record<string, unknown>) => void) => {
  const file = path.join(dir, 'config.json');
  const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(c);
  fs.writeFileSync(file, JSON.stringify(c));
};

describe('loading a base model: bad input gets a clear error', () => {
  it('names a missing file', () => {
    expect(() => loadBaseModel(variant('no-config', (d) => fs.rmSync(path.join(d, 'config.json'))))).toThrow(
      /missing config\.json/,
    );
    expect(() => loadBaseModel(variant('no-weights', (d) => fs.rmSync(path.join(d, 'model.safetensors'))))).toThrow(
      /missing model\.safetensors/,
    );
    const noTok = variant('no-tokenizer', (d) =>
      ['tokenizer.json', 'vocab.txt'].forEach((f) => fs.rmSync(path.join(d, f))),
    );
    expect(() => loadBaseModel(noTok)).toThrow(/no tokenizer found/);
    expect(() => loadBaseModel(path.join(scratch, 'nowhere'))).toThrow(/does not exist/);
  });

  it('names an unknown model_type and an unsupported activation', () => {
    expect(() => loadBaseModel(variant('gpt', (d) => editConfig(d, (c) => (c.model_type = 'gpt2'))))).toThrow(
      /model_type "gpt2" is not supported/,
    );
    expect(() => loadBaseModel(variant('tanh', (d) => editConfig(d, (c) => (c.hidden_act = 'gelu_new'))))).toThrow(
      /hidden_act "gelu_new" is not supported/,
    );
  });

  it('names a weight whose shape disagrees with config.json', () => {
    const dir = variant('wide', (d) => editConfig(d, (c) => (c.hidden_size = 64)));
    expect(() => loadBaseModel(dir)).toThrow(
      /model\.safetensors: encoder\.layer\.0\.attention\.self\.query\.weight has shape \[32,32\], config\.json implies \[64,64\]/,
    );
  });

  it('cuts words past the model length explicitly and counts them; a too-long id sequence is refused', () => {
    const model = loadBaseModel(fixture);
    const words = Array.from({ length: 100 }, (_, i) => (i % 2 ? 'capital' : 'the'));
    const enc = model.tokenizer.encodeWords(words, model.maxLength);
    expect(enc.ids.length).toBeLessThanOrEqual(model.maxLength);
    expect(enc.truncatedWords).toBe(100 - (model.maxLength - 2));
    expect(enc.firstSubword.filter((p) => p < 0)).toHaveLength(enc.truncatedWords);
    expect(enc.ids[enc.ids.length - 1]).toBe(model.tokenizer.sepId);
    const T = model.maxLength + 1;
    const ids = tf.zeros([1, T], 'int32') as tf.Tensor2D;
    expect(() => encode(model.weights, model.config, { ids, mask: tf.onesLike(ids) as tf.Tensor2D })).toThrow(
      /65 tokens is longer than the model's 64 positions/,
    );
    disposeBaseModel(model);
  });

  it('maps a multi-subword word to its first subword and a lone zero-width word to [UNK]', () => {
    const model = loadBaseModel(fixture);
    const enc = model.tokenizer.encodeWords(['zygote', '\u200b', 'capital'], 64);
    expect(enc.firstSubword[0]).toBe(1);
    const pieces = enc.wordOf.filter((w) => w === 0).length;
    expect(pieces).toBeGreaterThan(1);
    expect(enc.firstSubword[1]).toBe(1 + pieces);
    expect(enc.ids[enc.firstSubword[1]!]).toBe(model.tokenizer.unkId);
    expect(enc.firstSubword[2]).toBe(2 + pieces);
    disposeBaseModel(model);
  });
});
