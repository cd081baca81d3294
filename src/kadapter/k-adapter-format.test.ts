import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomAdapter, randomStates } from '../../test/fixtures/kadapter/random-adapter.ts';
import { adapterForward, initAdapter, namedAdapterTensors, type AdapterConfig } from './adapter.ts';
import { initBackend } from './backend.ts';
import {
  adapterShapes,
  fromKAdapter,
  kAdapterNames,
  kAdapterSettings,
  officialClassChanges,
  toKAdapter,
  type PlainTensors,
} from './k-adapter-format.ts';
import { assignValues } from './variables.ts';

beforeAll(async () => {
  await initBackend('cpu');
});

// H ≠ A, so an untransposed weight has the wrong shape; A = 128 gives 2 heads; read layers are
// not 0..n-1, so the list is carried, not rebuilt.
const cfg: AdapterConfig = {
  baseHidden: 24,
  readLayers: [0, 2, 3],
  size: 128,
  layers: 2,
  chain: 'sum',
  initStd: 0.0002,
  layerNormEps: 1e-5,
};

function plain(named: Record<string, tf.Tensor>): PlainTensors {
  const out: PlainTensors = {};
  for (const [n, t] of Object.entries(named)) out[n] = { shape: t.shape, data: t.dataSync() as Float32Array };
  return out;
}

const exported = () => toKAdapter(cfg, plain(namedAdapterTensors(randomAdapter(cfg, 3))));

describe('the official K-Adapter state dict', () => {
  it('names every tensor of namedAdapterTensors once, with its shape', () => {
    const named = namedAdapterTensors(initAdapter(cfg, 0));
    const pairs = kAdapterNames(cfg.readLayers.length, cfg.layers);
    expect(pairs.map((p) => p.ours).sort()).toEqual(Object.keys(named).sort());
    expect(new Set(pairs.map((p) => p.official)).size).toBe(pairs.length);
    const shapes = adapterShapes(cfg.baseHidden, cfg.size, cfg.layers, cfg.readLayers.length);
    for (const [n, t] of Object.entries(named)) expect(shapes[n], n).toEqual(t.shape);
  });

  it('uses the official names and PyTorch [out, in] layout', () => {
    const ours = plain(namedAdapterTensors(randomAdapter(cfg, 3)));
    const { stateDict } = toKAdapter(cfg, ours);
    const down = stateDict['adapter.1.down_project.weight']!;
    expect(down.shape).toEqual([128, 24]);
    // ours [in=24, out=128] at (i=5, o=7) is theirs at (o=7, i=5)
    expect(down.data[7 * 24 + 5]).toBe(ours['layers.1.down.w']!.data[5 * 128 + 7]);
    expect(stateDict['adapter.2.encoder.layer.1.intermediate.dense.weight']!.shape).toEqual([512, 128]);
    expect(stateDict['adapter.0.encoder.layer.0.attention.output.LayerNorm.weight']!.data).toBe(
      ours['layers.0.layers.0.attnNorm.gamma']!.data,
    );
    expect(stateDict['adapter.0.encoder.layer.1.output.LayerNorm.bias']!.data).toBe(
      ours['layers.0.layers.1.ffnNorm.beta']!.data,
    );
    expect(Object.keys(stateDict)).toHaveLength(3 * (4 + 2 * 16));
  });

  it('states the settings the official scripts take, and what their hard-coded class must change', () => {
    const s = kAdapterSettings(cfg);
    expect(s).toMatchObject({
      adapter_list: [0, 2, 3],
      adapter_size: 128,
      adapter_transformer_layers: 2,
      adapter_skip_layers: 0,
      project_hidden_size: 24,
      hidden_size: 128,
      intermediate_size: 512,
      num_attention_heads: 2,
    });
    expect(officialClassChanges(s).join('; ')).toMatch(
      /^hidden_size 128 .*intermediate_size 512 .*num_attention_heads 2/,
    );
    expect(officialClassChanges(kAdapterSettings({ ...cfg, size: 768 }))).toEqual([]);
    expect(officialClassChanges(kAdapterSettings({ ...cfg, size: 768, layerNormEps: 1e-12 }))).toEqual([
      'layer_norm_eps 1e-12 (the official class hard-codes 0.00001)',
    ]);
  });

  it('round-trips: export then import gives identical tensors and an identical adapter output', () => {
    const w = randomAdapter(cfg, 5);
    const ours = plain(namedAdapterTensors(w));
    const { stateDict, settings } = toKAdapter(cfg, ours);
    const back = fromKAdapter(stateDict, settings);
    expect(back.adapter).toEqual(cfg);
    expect(back.ignored).toEqual([]);
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(ours).sort());
    for (const [n, t] of Object.entries(ours)) {
      expect(back.tensors[n]!.shape, n).toEqual(t.shape);
      expect(Buffer.from(back.tensors[n]!.data.buffer).equals(Buffer.from(t.data.buffer)), n).toBe(true);
    }
    const w2 = initAdapter(back.adapter, 9);
    for (const [n, v] of Object.entries(namedAdapterTensors(w2))) assignValues(v as tf.Variable, back.tensors[n]!.data);
    const states = randomStates(cfg.readLayers, [2, 5, 24], 1);
    const mask = tf.tensor2d([
      [1, 1, 1, 1, 1],
      [1, 1, 1, 0, 0],
    ]);
    const a = adapterForward(w, cfg, states, mask);
    const b = adapterForward(w2, back.adapter, states, mask);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    // The output is not the residual path alone, so the blocks' weights were exercised.
    const residualOnly = adapterForward(w, cfg, states, mask, [0, 1, 2]);
    expect(tf.max(tf.abs(a.sub(residualOnly))).dataSync()[0]).toBeGreaterThan(0.5);
  });

  it('leaves the official knowledge heads out of an import and names them', () => {
    const { stateDict, settings } = exported();
    const head = { shape: [24], data: new Float32Array(24) };
    const back = fromKAdapter({ ...stateDict, 'out_proj.bias': head, 'com_dense.bias': head }, settings);
    expect(back.ignored.sort()).toEqual(['com_dense.bias', 'out_proj.bias']);
  });

  it('takes the adapter shape from the tensors and the official defaults for what they do not hold', () => {
    const { stateDict } = exported();
    const back = fromKAdapter(stateDict, { adapter_list: [0, 11, 22] });
    expect(back.adapter).toEqual({ ...cfg, readLayers: [0, 11, 22], initStd: 0.0002, layerNormEps: 1e-5 });
  });

  it("refuses chain 'concat', which the official code cannot express", () => {
    const c = { ...cfg, chain: 'concat' as const };
    expect(() => toKAdapter(c, plain(namedAdapterTensors(initAdapter(c, 0))))).toThrow(
      /chain 'concat' .* has no equivalent in the official K-Adapter code/,
    );
  });

  it('refuses skip connections, another head count, activation or FFN width, and a list of the wrong length', () => {
    const { stateDict, settings } = exported();
    expect(() => fromKAdapter(stateDict, { ...settings, adapter_skip_layers: 3 })).toThrow(/adapter_skip_layers 3/);
    expect(() => fromKAdapter(stateDict, { ...settings, adapter_skip_layers: 1 })).toThrow(/adapter_skip_layers 1/);
    // Larger than the adapter count: the official condition never fires, so nothing differs.
    expect(fromKAdapter(stateDict, { ...settings, adapter_skip_layers: 6 }).adapter).toEqual(cfg);
    expect(() => fromKAdapter(stateDict, { ...settings, num_attention_heads: 12 })).toThrow(
      /num_attention_heads 12: this project's adapter of width 128 has 2 heads/,
    );
    expect(() => fromKAdapter(stateDict, { ...settings, hidden_act: 'relu' })).toThrow(/hidden_act relu/);
    expect(() => fromKAdapter(stateDict, { ...settings, adapter_list: [0, 1] })).toThrow(
      /holds 3 adapters; the adapter list names 2 base layers/,
    );
    const wide = { shape: [1024, 128], data: new Float32Array(1024 * 128) };
    expect(() =>
      fromKAdapter({ ...stateDict, 'adapter.1.encoder.layer.0.intermediate.dense.weight': wide }, settings),
    ).toThrow(/intermediate\.dense\.weight has shape \[1024,128\], expected \[512,128\] \(this project's adapter FFN/);
  });

  it('refuses a state dict with a tensor missing or one too many', () => {
    const { stateDict, settings } = exported();
    const missing = { ...stateDict };
    delete missing['adapter.2.encoder.layer.1.attention.self.value.bias'];
    expect(() => fromKAdapter(missing, settings)).toThrow(
      /missing tensor adapter\.2\.encoder\.layer\.1\.attention\.self\.value\.bias/,
    );
    const extra = {
      ...stateDict,
      'adapter.0.encoder.layer.0.attention.self.extra.weight': { shape: [1], data: new Float32Array(1) },
    };
    expect(() => fromKAdapter(extra, settings)).toThrow(/unexpected tensors .*attention\.self\.extra\.weight/);
    expect(() => fromKAdapter({}, settings)).toThrow(/not a K-Adapter AdapterModel state dict/);
  });
});
