// Adapter files, in the spirit of AdapterHub and PEFT: a folder with adapter_config.json and
// adapter.safetensors, plus head_config.json and head.safetensors — loadable into a fresh process
// with the base model alone, no training run needed.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ADAPTER_FORMAT, AdapterFileConfigAnyFormat, HeadConfig, type AdapterFileConfig } from '../data/files.ts';
import { UserError } from '../util/errors.ts';
import { readJsonFile } from '../util/json-file.ts';
import { writeFileAtomic } from '../util/jsonl.ts';
import { countParameters } from './encoder-weights.ts';
import { adapterHeads, adapterTensors, initAdapter, namedAdapterTensors, type AdapterConfig } from './adapter.ts';
import { baseWeightsSha256, MODEL_CLASS, type BaseModel } from './base-model.ts';
import { initHead, namedHeadTensors } from './heads.ts';
import { openSafetensors, writeSafetensors } from './safetensors.ts';
import type { TrainedModel } from './forward.ts';
import { assignValues } from './variables.ts';
import { LIBRARY_VERSION } from './version.ts';

export { ADAPTER_FORMAT };
/** adapter_config.json, typed with its schema in src/data/files.ts. */
export type { AdapterFileConfig };

function toWrite(named: Record<string, tf.Tensor>) {
  const out: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const [n, t] of Object.entries(named))
    out[n] = { dtype: 'F32', shape: t.shape, data: t.dataSync() as Float32Array };
  return out;
}

export function saveAdapterFiles(
  dir: string,
  o: {
    name: string;
    task: AdapterFileConfig['task'];
    model: TrainedModel;
    adapter: AdapterConfig;
    /** null: a folder without a knowledge head (model.head is then empty). */
    head: HeadConfig | null;
    base: BaseModel;
    lastLayer: number;
    training?: Record<string, unknown>;
  },
): AdapterFileConfig {
  fs.mkdirSync(dir, { recursive: true });
  const adapterParams = countParameters(adapterTensors(o.model.adapter));
  const headParams = countParameters(Object.values(namedHeadTensors(o.model.head)));
  const config: AdapterFileConfig = {
    format: ADAPTER_FORMAT,
    name: o.name,
    version: LIBRARY_VERSION,
    model_name: o.base.name,
    model_type: o.base.config.modelType,
    model_class: MODEL_CLASS[o.base.config.modelType],
    hidden_size: o.base.config.hidden,
    model_layers: o.base.config.layers,
    model_revision: o.base.revision,
    model_sha256: baseWeightsSha256(o.base),
    config: { architecture: 'k-adapter', ...o.adapter, activation: 'gelu', heads: adapterHeads(o.adapter.size) },
    task: o.task,
    lastLayer: o.lastLayer,
    ...(o.head ? {} : { head: 'none' as const }),
    parameters: {
      adapter: adapterParams,
      head: headParams,
      base: o.base.parameters,
      adapterShareOfBase: adapterParams / o.base.parameters,
    },
    ...(o.training ? { training: o.training } : {}),
  };
  writeSafetensors(path.join(dir, 'adapter.safetensors'), toWrite(namedAdapterTensors(o.model.adapter)), {
    format: ADAPTER_FORMAT,
  });
  if (o.head) {
    writeSafetensors(path.join(dir, 'head.safetensors'), toWrite(namedHeadTensors(o.model.head)), {
      format: ADAPTER_FORMAT,
    });
    writeFileAtomic(path.join(dir, 'head_config.json'), `${JSON.stringify(o.head, null, 2)}\n`);
  }
  // Written last: a folder with adapter_config.json is complete.
  writeFileAtomic(path.join(dir, 'adapter_config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return config;
}

export interface LoadedAdapter {
  config: AdapterFileConfig;
  /** The adapter's shape, as the model code takes it. */
  adapter: AdapterConfig;
  /** null when the folder has no knowledge head (config.head 'none'). */
  head: HeadConfig | null;
  model: TrainedModel;
}

export interface LoadAdapterOptions {
  /** Load onto a base whose weights differ from the one the adapter was trained on (same shape). */
  allowOtherBase?: boolean;
}

/** adapter_config.json of a folder (either format), or a clear error. */
export function readAdapterConfig(dir: string): AdapterFileConfig {
  const file = path.join(dir, 'adapter_config.json');
  if (!fs.existsSync(file))
    throw new UserError(`${dir}: no adapter_config.json (not an adapter folder, or an unfinished one)`);
  return readJsonFile(file, AdapterFileConfigAnyFormat);
}

/**
 * Why an adapter may not load onto a base, or null when it may. A base of another shape is always
 * refused; one whose weights differ (by sha256) is refused unless allowed. A base this project
 * trained from the adapter's base (multi-task, fine-tuned) records that and is accepted.
 */
export function baseMismatch(config: AdapterFileConfig, base: BaseModel, allowOtherBase = false): string | null {
  if (
    config.hidden_size !== base.config.hidden ||
    Math.max(...config.config.readLayers, config.lastLayer) > base.config.layers
  ) {
    return (
      `the adapter was trained on ${config.model_name} (hidden ${config.hidden_size}, ${config.model_layers} layers); ` +
      `the base model ${base.name} has hidden ${base.config.hidden} and ${base.config.layers} layers`
    );
  }
  if (config.model_sha256 === null || allowOtherBase) return null;
  const have = baseWeightsSha256(base);
  if (have === config.model_sha256 || base.derivedFrom?.sha256 === config.model_sha256) return null;
  return (
    `the adapter was trained on ${config.model_name} (weights sha256 ${config.model_sha256.slice(0, 12)}…); ` +
    `the base model ${base.name} in ${base.dir} has other weights (sha256 ${have.slice(0, 12)}…). ` +
    `Pass the base it was trained on, or --allow-other-base to load it anyway`
  );
}

/** The adapter's shape from its config, without the fields written for other readers. */
export function adapterShape(config: AdapterFileConfig): AdapterConfig {
  const { architecture: _a, activation: _act, heads: _h, ...adapter } = config.config;
  return adapter;
}

/** Loads an adapter folder for a base model; another base is refused (see baseMismatch). */
export function loadAdapterFiles(dir: string, base: BaseModel, opts: LoadAdapterOptions = {}): LoadedAdapter {
  const config = readAdapterConfig(dir);
  const why = baseMismatch(config, base, opts.allowOtherBase);
  if (why) throw new UserError(`${dir}: ${why}`);
  const note = (line: string) => process.stderr.write(`kadapter: note: ${dir}: ${line}\n`);
  if (config.model_sha256 === null) note("written without its base's hash (an older format): checked by shape only");
  else if (config.model_name !== base.name && baseWeightsSha256(base) !== config.model_sha256)
    note(`trained on ${config.model_name}, loaded on ${base.name}`);
  const adapter = adapterShape(config);
  if (config.config.heads !== adapterHeads(adapter.size))
    throw new UserError(
      `${dir}: adapter_config.json says ${config.config.heads} attention heads; an adapter of size ${adapter.size} has ${adapterHeads(adapter.size)} here (max(1, size / 64))`,
    );
  const head = config.head === 'none' ? null : readJsonFile(path.join(dir, 'head_config.json'), HeadConfig);
  const model: TrainedModel = { adapter: initAdapter(adapter, 0), head: head ? initHead(head, 0) : {} };
  assignFrom(path.join(dir, 'adapter.safetensors'), namedAdapterTensors(model.adapter));
  if (head) assignFrom(path.join(dir, 'head.safetensors'), namedHeadTensors(model.head));
  return { config, adapter, head, model };
}

/** Frees a loaded adapter's tensors (and its head's). */
export function disposeLoadedAdapter(a: LoadedAdapter): void {
  tf.dispose([...adapterTensors(a.model.adapter), ...(a.head ? Object.values(namedHeadTensors(a.model.head)) : [])]);
}

function assignFrom(file: string, named: Record<string, tf.Tensor>): void {
  const st = openSafetensors(file);
  for (const [n, t] of Object.entries(named)) {
    const entry = st.tensors.get(n);
    if (!entry) throw new UserError(`${file}: missing tensor ${n}`);
    if (entry.shape.join() !== t.shape.join())
      throw new UserError(`${file}: ${n} has shape [${entry.shape}], the config implies [${t.shape}]`);
    assignValues(t as tf.Variable, st.read(n));
  }
  const extra = [...st.tensors.keys()].filter((n) => !(n in named));
  if (extra.length) throw new UserError(`${file}: unexpected tensors ${extra.slice(0, 5).join(', ')}`);
}
