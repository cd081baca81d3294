import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../util/paths.ts';
import { initBackend } from './backend.ts';
import { disposeBaseModel, loadBaseModel, saveEncoderCheckpoint } from './base-model.ts';
import { encode } from './encoder.ts';
import { encoderTensors, hfNamedTensors, namedVariables, trainableCopy } from './encoder-weights.ts';
import { floatToHalf, halfToFloat, openSafetensors, writeSafetensors, type TensorToWrite } from './safetensors.ts';

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

describe('saving trained encoder weights as a Hugging Face folder', () => {
  const parity = path.join(repoRoot, 'test', 'fixtures', 'parity');
  /** A copy of a fixture whose model.safetensors `edit` rewrites (tensors as stored, by name). */
  const source = (name: string, fixtureName: string, edit: (t: Record<string, TensorToWrite>) => void = () => {}) => {
    const dir = path.join(scratch, name);
    fs.cpSync(path.join(parity, fixtureName), dir, { recursive: true });
    const file = path.join(dir, 'model.safetensors');
    const st = openSafetensors(file);
    const tensors: Record<string, TensorToWrite> = {};
    for (const [n, e] of st.tensors) tensors[n] = { dtype: e.dtype, shape: e.shape, bytes: st.readBytes(n) };
    edit(tensors);
    writeSafetensors(file, tensors, st.metadata);
    return dir;
  };
  /**
   * Saves the base's encoder with every weight moved, as training would, and checks that the folder
   * loads back to the trained weights (`stored`: the value a weight is stored as, for a narrow dtype).
   */
  const save = (from: string, to: string, stored: (v: number) => number = (v) => v) => {
    const base = loadBaseModel(from);
    const trained = trainableCopy(base.weights);
    Object.values(namedVariables(trained)).forEach((v, i) => v.assign(v.add(0.01 * (i + 1))));
    const out = path.join(scratch, to);
    saveEncoderCheckpoint(out, base, trained, 'multitask', { step: 1 });
    const written = loadBaseModel(out);
    const want = hfNamedTensors(trained);
    for (const [n, { tensor }] of Object.entries(hfNamedTensors(written.weights))) {
      const [got, expected] = [tensor.dataSync(), want[n]!.tensor.dataSync()];
      expect(
        got.every((v, i) => Math.abs(v - stored(expected[i]!)) <= 1e-6),
        n,
      ).toBe(true);
    }
    disposeBaseModel(base);
    disposeBaseModel(written);
    tf.dispose(encoderTensors(trained));
    return out;
  };
  const header = (dir: string) => {
    const st = openSafetensors(path.join(dir, 'model.safetensors'));
    return Object.fromEntries([...st.tensors].map(([n, e]) => [n, `${e.dtype} ${e.shape.join('x')}`]));
  };
  const architectures = (dir: string) =>
    (JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { architectures: string[] }).architectures;
  /** Names of the tensors whose stored bytes differ between two folders. */
  const changed = (a: string, b: string) => {
    const [x, y] = [a, b].map((d) => openSafetensors(path.join(d, 'model.safetensors')));
    return [...x!.tensors.keys()].filter((n) => !x!.readBytes(n).equals(y!.readBytes(n)));
  };

  it('writes every tensor of a BERT base, pooler included, under its names, shapes and dtypes', () => {
    const from = path.join(parity, 'bert-tiny');
    const out = save(from, 'bert-out');
    expect(header(out)).toEqual(header(from));
    expect(Object.keys(header(out))).toContain('pooler.dense.weight');
    // The pooler is not trained here: it must come through bit for bit; every encoder tensor moved.
    expect(changed(from, out).sort()).toEqual(
      Object.keys(header(from))
        .filter((n) => !n.startsWith('pooler.'))
        .sort(),
    );
    expect(architectures(out)).toEqual(['BertModel']);
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt'])
      expect(fs.existsSync(path.join(out, f))).toBe(true);
  });

  it('keeps a RoBERTa masked-LM head and its class when the head is whole (decoder tied to the embeddings)', () => {
    const from = path.join(parity, 'roberta-tiny');
    const out = save(from, 'roberta-out');
    expect(header(out)).toEqual(header(from));
    expect(changed(from, out).filter((n) => n.startsWith('lm_head.'))).toEqual([]);
    expect(architectures(from)).toEqual(['RobertaForMaskedLM']);
    expect(architectures(out)).toEqual(['RobertaForMaskedLM']);
  });

  it('names the base class when a head tensor is missing, or an untied decoder is not stored', () => {
    const partial = source('roberta-partial-head', 'roberta-tiny', (t) => delete t['lm_head.dense.weight']);
    expect(architectures(save(partial, 'roberta-partial-out'))).toEqual(['RobertaModel']);
    const untied = source('roberta-untied', 'roberta-tiny');
    editConfig(untied, (c) => (c.tie_word_embeddings = false));
    expect(architectures(save(untied, 'roberta-untied-out'))).toEqual(['RobertaModel']);
    const headless = source('bert-claims-mlm', 'bert-tiny');
    editConfig(headless, (c) => (c.architectures = ['BertForMaskedLM']));
    expect(architectures(save(headless, 'bert-claims-mlm-out'))).toEqual(['BertModel']);
  });

  it('writes the trained word embeddings into a stored decoder that transformers ties to them', () => {
    const from = source('roberta-stored-decoder', 'roberta-tiny', (t) => {
      const word = t['roberta.embeddings.word_embeddings.weight']!;
      t['lm_head.decoder.weight'] = { ...word };
    });
    const out = save(from, 'roberta-stored-decoder-out');
    expect(header(out)).toEqual(header(from));
    const st = openSafetensors(path.join(out, 'model.safetensors'));
    expect(
      st.readBytes('lm_head.decoder.weight').equals(st.readBytes('roberta.embeddings.word_embeddings.weight')),
    ).toBe(true);
    expect(changed(from, out)).toContain('lm_head.decoder.weight');
    expect(architectures(out)).toEqual(['RobertaForMaskedLM']);
  });

  it('keeps a half-precision base half, and an integer buffer as stored', () => {
    const from = source('bert-f16', 'bert-tiny', (t) => {
      for (const [n, e] of Object.entries(t)) {
        if ('bytes' in e)
          t[n] = {
            dtype: 'F16',
            shape: e.shape,
            data: new Float32Array(e.bytes.buffer.slice(e.bytes.byteOffset, e.bytes.byteOffset + e.bytes.length)),
          };
      }
      const ids = Buffer.alloc(64 * 8);
      for (let i = 0; i < 64; i++) ids.writeBigInt64LE(BigInt(i), i * 8);
      t['embeddings.position_ids'] = { dtype: 'I64', shape: [1, 64], bytes: ids };
    });
    const out = save(from, 'bert-f16-out', (v) => halfToFloat(floatToHalf(v)));
    expect(header(out)).toEqual(header(from));
    expect(Object.values(header(out)).filter((h) => h.startsWith('F16'))).toHaveLength(
      Object.keys(header(out)).length - 1,
    );
    expect(changed(from, out)).not.toContain('embeddings.position_ids');
  });

  it('copies the sentence-transformers modules and model card, not weights in other formats', () => {
    const from = source('bert-st', 'bert-tiny');
    const files: Record<string, string> = {
      'modules.json':
        '[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},' +
        '{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},' +
        '{"idx":2,"name":"2","path":"2_Dense","type":"sentence_transformers.models.Dense"}]',
      'sentence_bert_config.json': '{"max_seq_length":64}',
      'config_sentence_transformers.json': '{}',
      '1_Pooling/config.json': '{"pooling_mode_mean_tokens":true}',
      // A module's own weights are not the encoder's: kept, whatever their format.
      '2_Dense/config.json': '{"in_features":32,"out_features":16}',
      '2_Dense/model.safetensors': 'dense weights',
      '2_Dense/pytorch_model.bin': 'dense weights',
      'README.md': '# tiny',
      'pytorch_model.bin': 'stale',
      'onnx/model.onnx': 'stale',
      'model.safetensors.index.json': '{}',
    };
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(from, f)), { recursive: true });
      fs.writeFileSync(path.join(from, f), text);
    }
    fs.mkdirSync(path.join(from, '2_Normalize'));
    const out = save(from, 'bert-st-out');
    for (const [f, text] of Object.entries(files)) {
      const stale = text === 'stale' || f.endsWith('.index.json');
      expect(fs.existsSync(path.join(out, f)), f).toBe(!stale);
      if (!stale) expect(fs.readFileSync(path.join(out, f), 'utf8')).toBe(text);
    }
    expect(fs.existsSync(path.join(out, 'onnx'))).toBe(false);
    expect(fs.statSync(path.join(out, '2_Normalize')).isDirectory()).toBe(true);
  });
});
