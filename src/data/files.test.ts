import { describe, expect, it } from 'vitest';
import { OPTIM_DEFAULTS, OptimSettings } from '../config/schema.ts';
import { AdapterFileConfig, CachedExample, CheckpointState, HeadConfig, StageManifest } from './files.ts';

const adapterConfig = {
  format: 'kadapter-adapter/2',
  name: 'factual',
  version: '0.1.0',
  model_name: 'sentence-transformers/all-MiniLM-L6-v2',
  model_type: 'bert',
  model_class: 'BertModel',
  hidden_size: 384,
  model_layers: 6,
  model_revision: null,
  model_sha256: '0'.repeat(64),
  config: {
    architecture: 'k-adapter',
    baseHidden: 384,
    readLayers: [0, 2, 5],
    size: 64,
    layers: 1,
    chain: 'sum',
    initStd: 0.0002,
    layerNormEps: 1e-12,
    activation: 'gelu',
    heads: 1,
  },
  task: 'relation',
  lastLayer: 6,
  parameters: { adapter: 298752, head: 297603, base: 22565376, adapterShareOfBase: 0.0132 },
  training: { seed: 1, optim: { lr: 1e-3, ...OPTIM_DEFAULTS } },
};

describe('file schemas', () => {
  it('read adapter_config.json as it is written, and refuse another format by field', () => {
    expect(AdapterFileConfig.parse(adapterConfig)).toEqual(adapterConfig);
    const other = AdapterFileConfig.safeParse({ ...adapterConfig, format: 'kadapter-adapter/3' });
    expect(other.success).toBe(false);
    expect(other.error!.issues[0]!.path).toEqual(['format']);
  });

  it('require the kind-dependent field of a head', () => {
    expect(
      HeadConfig.safeParse({ kind: 'relation', hidden: 384, fuse: true, labels: ['P47', 'no_relation'] }).success,
    ).toBe(true);
    expect(HeadConfig.safeParse({ kind: 'dependency', hidden: 384, fuse: true, scoreDim: 128 }).success).toBe(true);
    const noLabels = HeadConfig.safeParse({ kind: 'relation', hidden: 384, fuse: true, scoreDim: 128 });
    expect(noLabels.error!.issues.map((i) => i.path)).toEqual([['labels']]);
    expect(HeadConfig.safeParse({ kind: 'dependency', hidden: 384, fuse: true }).success).toBe(false);
  });

  it('read a feature-cache index line with its place in the shard', () => {
    const line = {
      task: 'dependency',
      id: 'x',
      ids: [101, 7, 8, 102],
      firsts: [1, 2],
      heads: [2, 0],
      offset: 0,
      length: 4,
    };
    expect(CachedExample.parse(line)).toEqual(line);
    expect(CachedExample.safeParse({ ...line, length: undefined }).success).toBe(false);
  });

  it('read a checkpoint state and a stage manifest', () => {
    const state = {
      configHash: 'abc',
      step: 3,
      dev: [{ examples: 33, loss: 1.5, uas: 0.5, words: 568 }],
      seconds: 10.2,
      lossAcc: 0,
      lossCount: 0,
    };
    expect(CheckpointState.parse(state)).toEqual(state);
    const manifest = {
      stage: 'build-data/dependency',
      profile: 'smoke',
      complete: true,
      inputsHash: 'h',
      inputs: {},
      parameters: {},
      counts: {},
      skipped: {},
      outputs: [{ file: 'train-00000.jsonl', lines: 88, bytes: 53595, sha256: 'a'.repeat(64) }],
      timings: { planSeconds: 6.7 },
      tools: { node: 'v20' },
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
    };
    expect(StageManifest.parse(manifest)).toEqual(manifest);
  });

  it('keep the optimizer default valid and numerically what every training used before', () => {
    expect(OptimSettings.parse(OPTIM_DEFAULTS)).toEqual({
      weightDecay: 0.01,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-6,
      warmupRatio: 0.1,
      clipNorm: 1,
    });
    // The order of the keys is part of the configuration hash of a training run: unchanged.
    expect(Object.keys(OPTIM_DEFAULTS)).toEqual(['weightDecay', 'beta1', 'beta2', 'eps', 'warmupRatio', 'clipNorm']);
  });
});
