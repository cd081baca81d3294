// The official K-Adapter checkpoint (microsoft/K-Adapter: AdapterModel.state_dict(), which its
// scripts save as pytorch_model.bin) ⇄ this project's adapter tensors. Per adapter k, the official
// module is
//   adapter.{k}.down_project        Linear(H → A)
//   adapter.{k}.encoder.layer.{i}   BertLayer of width A: post-LayerNorm, erf GELU, FFN 4A, A/64 heads
//   adapter.{k}.up_project          Linear(A → H)
// chained as fusion = h[adapter_list[k]] + prev; prev = fusion + up(enc(down(fusion))), which is
// this project's chain 'sum'. What the official code cannot express is refused, not approximated:
// chain 'concat' (the paper's down-projection from [h ; prev]); adapter_skip_layers s with
// 1 ≤ s ≤ n (extra skip connections); another head count, FFN width or activation.
// PyTorch's Linear stores [out, in] and ours [in, out], so every linear weight is transposed.
// The official knowledge heads (com_dense, dense, out_proj) sit outside `adapter.` and are not mapped.
import { z } from 'zod';
import { UserError } from '../util/errors.ts';
import { adapterHeads, type AdapterConfig } from './adapter.ts';

/**
 * k_adapter_config.json beside an exported state dict: the official scripts' adapter arguments and
 * the fields of their AdapterConfig class, under the official names.
 */
export const KAdapterSettings = z.strictObject({
  /** --adapter_list: base layers read, in order (0 = embeddings). */
  adapter_list: z.array(z.number().int().min(0)).min(1),
  /** --adapter_size: A. */
  adapter_size: z.number().int().min(1),
  /** --adapter_transformer_layers: N. */
  adapter_transformer_layers: z.number().int().min(1),
  /** --adapter_skip_layers: extra skip connections every s adapters when 1 ≤ s ≤ the adapter count. */
  adapter_skip_layers: z.number().int(),
  /** AdapterConfig.project_hidden_size: the base's hidden size H. */
  project_hidden_size: z.number().int().min(1),
  /** AdapterConfig.hidden_size: the adapter encoder's width (the official class hard-codes 768). */
  hidden_size: z.number().int().min(1),
  /** AdapterConfig.intermediate_size (hard-coded 3072). */
  intermediate_size: z.number().int().min(1),
  /** AdapterConfig.num_attention_heads (hard-coded 12). */
  num_attention_heads: z.number().int().min(1),
  hidden_act: z.string(),
  /** AdapterConfig.layer_norm_eps (hard-coded 1e-5). */
  layer_norm_eps: z.number().positive(),
  /** AdapterConfig.adapter_initializer_range: std of the down/up projections' initial weights. */
  adapter_initializer_range: z.number().positive(),
});
export type KAdapterSettings = z.infer<typeof KAdapterSettings>;

export interface PlainTensor {
  shape: number[];
  data: Float32Array;
}
export type PlainTensors = Record<string, PlainTensor>;

/** What the official AdapterConfig class hard-codes; an adapter of another shape needs them changed. */
export const OFFICIAL_CLASS_FIELDS = {
  hidden_size: 768,
  intermediate_size: 3072,
  num_attention_heads: 12,
  layer_norm_eps: 1e-5,
} as const;

/** The official code's adapter_initializer_range, the std our initStd mirrors. */
const OFFICIAL_INIT_RANGE = 0.0002;

const LINEARS = [
  ['query', 'attention.self.query'],
  ['key', 'attention.self.key'],
  ['value', 'attention.self.value'],
  ['attnOut', 'attention.output.dense'],
  ['ffnIn', 'intermediate.dense'],
  ['ffnOut', 'output.dense'],
] as const;
const NORMS = [
  ['attnNorm', 'attention.output.LayerNorm'],
  ['ffnNorm', 'output.LayerNorm'],
] as const;

export interface NamePair {
  ours: string;
  official: string;
  /** A linear weight: [in, out] here, [out, in] there. */
  transpose: boolean;
}

/** Every tensor of n adapter layers of N transformer layers each, under both names. */
export function kAdapterNames(adapters: number, layers: number): NamePair[] {
  const out: NamePair[] = [];
  const linear = (ours: string, official: string) =>
    out.push(
      { ours: `${ours}.w`, official: `${official}.weight`, transpose: true },
      { ours: `${ours}.b`, official: `${official}.bias`, transpose: false },
    );
  for (let k = 0; k < adapters; k++) {
    linear(`layers.${k}.down`, `adapter.${k}.down_project`);
    linear(`layers.${k}.up`, `adapter.${k}.up_project`);
    for (let i = 0; i < layers; i++) {
      const [ours, official] = [`layers.${k}.layers.${i}`, `adapter.${k}.encoder.layer.${i}`];
      for (const [o, p] of LINEARS) linear(`${ours}.${o}`, `${official}.${p}`);
      for (const [o, p] of NORMS)
        out.push(
          { ours: `${ours}.${o}.gamma`, official: `${official}.${p}.weight`, transpose: false },
          { ours: `${ours}.${o}.beta`, official: `${official}.${p}.bias`, transpose: false },
        );
    }
  }
  return out;
}

/** Shapes of our adapter tensors for a chain-'sum' adapter (namedAdapterTensors' names). */
export function adapterShapes(
  hidden: number,
  size: number,
  layers: number,
  adapters: number,
): Record<string, number[]> {
  const [H, A] = [hidden, size];
  const out: Record<string, number[]> = {};
  const linear = (name: string, inDim: number, outDim: number) => {
    out[`${name}.w`] = [inDim, outDim];
    out[`${name}.b`] = [outDim];
  };
  for (let k = 0; k < adapters; k++) {
    linear(`layers.${k}.down`, H, A);
    linear(`layers.${k}.up`, A, H);
    for (let i = 0; i < layers; i++) {
      const p = `layers.${k}.layers.${i}`;
      for (const name of ['query', 'key', 'value', 'attnOut']) linear(`${p}.${name}`, A, A);
      linear(`${p}.ffnIn`, A, 4 * A);
      linear(`${p}.ffnOut`, 4 * A, A);
      for (const name of ['attnNorm', 'ffnNorm']) out[`${p}.${name}.gamma`] = out[`${p}.${name}.beta`] = [A];
    }
  }
  return out;
}

function transpose2d(t: PlainTensor): PlainTensor {
  const [rows, cols] = t.shape as [number, number];
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[c * rows + r] = t.data[r * cols + c]!;
  return { shape: [cols, rows], data };
}

/** The official settings an adapter implies (adapter_skip_layers 0: no extra skips, as ours). */
export function kAdapterSettings(cfg: AdapterConfig): KAdapterSettings {
  return {
    adapter_list: [...cfg.readLayers],
    adapter_size: cfg.size,
    adapter_transformer_layers: cfg.layers,
    adapter_skip_layers: 0,
    project_hidden_size: cfg.baseHidden,
    hidden_size: cfg.size,
    intermediate_size: 4 * cfg.size,
    num_attention_heads: adapterHeads(cfg.size),
    hidden_act: 'gelu',
    layer_norm_eps: cfg.layerNormEps,
    adapter_initializer_range: cfg.initStd,
  };
}

/** Fields of the official AdapterConfig class that must change to hold an adapter of these settings. */
export function officialClassChanges(s: KAdapterSettings): string[] {
  return Object.entries(OFFICIAL_CLASS_FIELDS)
    .filter(([k, v]) => s[k as keyof typeof OFFICIAL_CLASS_FIELDS] !== v)
    .map(([k, v]) => `${k} ${s[k as keyof typeof OFFICIAL_CLASS_FIELDS]} (the official class hard-codes ${v})`);
}

/** Our adapter tensors → the official state dict and settings. */
export function toKAdapter(
  cfg: AdapterConfig,
  tensors: PlainTensors,
): { stateDict: PlainTensors; settings: KAdapterSettings } {
  if (cfg.chain !== 'sum')
    throw new UserError(
      `chain '${cfg.chain}' (the paper's down-projection from [h ; prev]) has no equivalent in the official ` +
        `K-Adapter code, which sums h and prev: only a chain 'sum' adapter can be exported`,
    );
  const shapes = adapterShapes(cfg.baseHidden, cfg.size, cfg.layers, cfg.readLayers.length);
  const extra = Object.keys(tensors).filter((n) => !(n in shapes));
  if (extra.length) throw new UserError(`unexpected adapter tensors ${extra.slice(0, 5).join(', ')}`);
  const stateDict: PlainTensors = {};
  for (const { ours, official, transpose } of kAdapterNames(cfg.readLayers.length, cfg.layers)) {
    const t = tensors[ours];
    if (!t) throw new UserError(`missing adapter tensor ${ours}`);
    if (t.shape.join() !== shapes[ours]!.join())
      throw new UserError(`adapter tensor ${ours} has shape [${t.shape}], the config implies [${shapes[ours]}]`);
    stateDict[official] = transpose ? transpose2d(t) : t;
  }
  return { stateDict, settings: kAdapterSettings(cfg) };
}

/** What an import needs beyond the state dict, which does not say which base layers it reads. */
export type KAdapterImportSettings = Pick<KAdapterSettings, 'adapter_list'> & Partial<KAdapterSettings>;

/**
 * The official state dict → our adapter config and tensors. Tensors outside `adapter.` (the
 * official knowledge heads) are returned as `ignored`; anything inside it must be exactly the
 * adapter the shapes imply.
 */
export function fromKAdapter(
  stateDict: PlainTensors,
  settings: KAdapterImportSettings,
): { adapter: AdapterConfig; tensors: PlainTensors; ignored: string[] } {
  const names = Object.keys(stateDict);
  const ignored = names.filter((n) => !n.startsWith('adapter.'));
  const indices = new Set(names.flatMap((n) => /^adapter\.(\d+)\./.exec(n)?.[1] ?? []).map(Number));
  const n = indices.size;
  if (n === 0) throw new UserError('no adapter.{k}.* tensors: not a K-Adapter AdapterModel state dict');
  const down = stateDict['adapter.0.down_project.weight'];
  if (!down || down.shape.length !== 2) throw new UserError('missing adapter.0.down_project.weight [A, H]');
  const [A, H] = down.shape as [number, number];
  const layerIds = new Set(names.flatMap((m) => /^adapter\.0\.encoder\.layer\.(\d+)\./.exec(m)?.[1] ?? []));
  const N = layerIds.size;
  if (N === 0) throw new UserError('adapter.0 has no encoder layers (adapter.0.encoder.layer.{i}.*)');

  const refuse = (why: string): never => {
    throw new UserError(why);
  };
  if (settings.adapter_list.length !== n)
    refuse(`the state dict holds ${n} adapters; the adapter list names ${settings.adapter_list.length} base layers`);
  const skip = settings.adapter_skip_layers ?? 0;
  if (skip >= 1 && skip <= n)
    refuse(
      `adapter_skip_layers ${skip} adds a skip connection every ${skip} adapters, which this project's chain ` +
        `does not have (the official pre-training scripts use 0)`,
    );
  if (settings.num_attention_heads !== undefined && settings.num_attention_heads !== adapterHeads(A))
    refuse(
      `num_attention_heads ${settings.num_attention_heads}: this project's adapter of width ${A} has ` +
        `${adapterHeads(A)} heads (max(1, A/64))`,
    );
  if (settings.hidden_act !== undefined && settings.hidden_act !== 'gelu')
    refuse(`hidden_act ${settings.hidden_act}: this project's adapter uses gelu (the erf form)`);
  for (const [field, value] of [
    ['adapter_size', A],
    ['hidden_size', A],
    ['intermediate_size', 4 * A],
    ['project_hidden_size', H],
    ['adapter_transformer_layers', N],
  ] as const) {
    const given = settings[field];
    if (given !== undefined && given !== value)
      refuse(`${field} ${given} disagrees with the state dict's tensors, which imply ${value}`);
  }

  const shapes = adapterShapes(H, A, N, n);
  const pairs = kAdapterNames(n, N);
  const expected = new Set(pairs.map((p) => p.official));
  const unexpected = names.filter((m) => m.startsWith('adapter.') && !expected.has(m));
  if (unexpected.length)
    refuse(`unexpected tensors for ${n} adapters of ${N} layers: ${unexpected.slice(0, 5).join(', ')}`);
  const tensors: PlainTensors = {};
  for (const { ours, official, transpose } of pairs) {
    const t = stateDict[official];
    if (!t) throw new UserError(`missing tensor ${official}`);
    const want = transpose ? [...shapes[ours]!].reverse() : shapes[ours]!;
    if (t.shape.join() !== want.join()) {
      const ffn = /\.(intermediate|layer\.\d+\.output)\.dense\./.test(official);
      refuse(
        `${official} has shape [${t.shape}], expected [${want}]` +
          (ffn ? " (this project's adapter FFN is 4A wide)" : ''),
      );
    }
    tensors[ours] = transpose ? transpose2d(t) : t;
  }
  const adapter: AdapterConfig = {
    baseHidden: H,
    readLayers: [...settings.adapter_list],
    size: A,
    layers: N,
    chain: 'sum',
    initStd: settings.adapter_initializer_range ?? OFFICIAL_INIT_RANGE,
    layerNormEps: settings.layer_norm_eps ?? OFFICIAL_CLASS_FIELDS.layer_norm_eps,
  };
  return { adapter, tensors, ignored };
}
