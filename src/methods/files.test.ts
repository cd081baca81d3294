import { describe, expect, it } from 'vitest';
import { OPTIM_DEFAULTS } from '../config/schema.ts';
import { AdapterFileConfig } from './files.ts';

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

describe('adapter_config.json', () => {
  it('reads as it is written, and refuse another format by field', () => {
    expect(AdapterFileConfig.parse(adapterConfig)).toEqual(adapterConfig);
    const other = AdapterFileConfig.safeParse({ ...adapterConfig, format: 'kadapter-adapter/3' });
    expect(other.success).toBe(false);
    expect(other.error!.issues[0]!.path).toEqual(['format']);
  });
});
