// Adapter files, in the spirit of AdapterHub and PEFT: a folder with adapter_config.json and
// adapter.safetensors, plus head_config.json and head.safetensors — loadable into a fresh process
// with the base model alone, no training run needed.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ADAPTER_FORMAT, AdapterFileConfig, HeadConfig } from '../data/files.ts';
import { UserError } from '../util/errors.ts';
import { readJsonFile } from '../util/json-file.ts';
import { writeFileAtomic } from '../util/jsonl.ts';
import { countParameters } from './encoder-weights.ts';
import { adapterTensors, initAdapter, namedAdapterTensors, type AdapterConfig } from './adapter.ts';
import type { BaseModel } from './base-model.ts';
import { initHead, namedHeadTensors } from './heads.ts';
import { openSafetensors, writeSafetensors } from './safetensors.ts';
import type { TrainedModel } from './forward.ts';
import { assignValues } from './variables.ts';

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
    task: o.task,
    base: {
      name: o.base.name,
      modelType: o.base.config.modelType,
      hidden: o.base.config.hidden,
      layers: o.base.config.layers,
    },
    adapter: o.adapter,
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
  /** null when the folder has no knowledge head (config.head 'none'). */
  head: HeadConfig | null;
  model: TrainedModel;
}

/** Loads an adapter folder for a base model; a base of another shape is refused by name. */
export function loadAdapterFiles(dir: string, base: BaseModel): LoadedAdapter {
  const file = path.join(dir, 'adapter_config.json');
  if (!fs.existsSync(file))
    throw new UserError(`${dir}: no adapter_config.json (not an adapter folder, or an unfinished one)`);
  const config = readJsonFile(file, AdapterFileConfig);
  if (
    config.base.hidden !== base.config.hidden ||
    Math.max(...config.adapter.readLayers, config.lastLayer) > base.config.layers
  ) {
    throw new UserError(
      `${dir}: the adapter was trained on ${config.base.name} (hidden ${config.base.hidden}, ${config.base.layers} layers); ` +
        `the base model ${base.name} has hidden ${base.config.hidden} and ${base.config.layers} layers`,
    );
  }
  if (config.base.name !== base.name)
    process.stderr.write(
      `kadapter: note: ${dir} was trained on ${config.base.name}, loading it on ${base.name} (same shape)\n`,
    );
  const head = config.head === 'none' ? null : readJsonFile(path.join(dir, 'head_config.json'), HeadConfig);
  const model: TrainedModel = { adapter: initAdapter(config.adapter, 0), head: head ? initHead(head, 0) : {} };
  assignFrom(path.join(dir, 'adapter.safetensors'), namedAdapterTensors(model.adapter));
  if (head) assignFrom(path.join(dir, 'head.safetensors'), namedHeadTensors(model.head));
  return { config, head, model };
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
