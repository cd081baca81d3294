// Adapter folders ⇄ the official K-Adapter checkpoint on disk. Node writes no torch pickle, so an
// export is the same state dict as safetensors, beside the settings the official scripts take:
//   <out>/pytorch_model.safetensors   AdapterModel.state_dict() under the official names
//   <out>/k_adapter_config.json       adapter_list, adapter_size, … and the AdapterConfig fields
// In Python: model.load_state_dict(safetensors.torch.load_file(".../pytorch_model.safetensors")),
// or torch.save that dict as pytorch_model.bin for the official --meta_*_adaptermodel flags.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../util/errors.ts';
import { readJsonFile, readJsonFileIfExists } from '../../util/json-file.ts';
import { writeFileAtomic } from '../../util/jsonl.ts';
import type { AdapterConfig } from '../../kadapter/adapter.ts';
import type { BaseModel } from '../../kadapter/base-model.ts';
import { adapterSettings, readAdapterConfig, saveAdapterFiles } from '../files.ts';
import { kAdapter, K_ADAPTER } from './method.ts';
import {
  fromKAdapter,
  KAdapterSettings,
  officialClassChanges,
  toKAdapter,
  type PlainTensors,
} from '../../kadapter/k-adapter-format.ts';
import { openSafetensors, writeSafetensors } from '../../kadapter/safetensors.ts';
import { assignValues } from '../../kadapter/variables.ts';

export const K_ADAPTER_WEIGHTS = 'pytorch_model.safetensors';
export const K_ADAPTER_SETTINGS = 'k_adapter_config.json';

function readAll(file: string): PlainTensors {
  const st = openSafetensors(file);
  const out: PlainTensors = {};
  for (const [name, entry] of st.tensors) out[name] = { shape: entry.shape, data: st.read(name) };
  return out;
}

function toWrite(tensors: PlainTensors) {
  return Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, { dtype: 'F32' as const, ...t }]));
}

/** Writes an adapter folder's adapter as the official state dict; returns what it wrote and notes. */
export function exportKAdapter(adapterDir: string, outDir: string): { files: string[]; notes: string[] } {
  const config = readAdapterConfig(adapterDir);
  if (config.config.architecture !== K_ADAPTER)
    throw new UserError(
      `${adapterDir}: a ${config.config.architecture} adapter; only K-Adapter's have the official format`,
    );
  const { stateDict, settings } = toKAdapter(
    adapterSettings(config, adapterDir) as AdapterConfig,
    readAll(path.join(adapterDir, 'adapter.safetensors')),
  );
  fs.mkdirSync(outDir, { recursive: true });
  const weights = path.join(outDir, K_ADAPTER_WEIGHTS);
  // "format: pt" is what safetensors.torch.save_file writes; loaders that check it expect it.
  writeSafetensors(weights, toWrite(stateDict), { format: 'pt' });
  const settingsFile = path.join(outDir, K_ADAPTER_SETTINGS);
  writeFileAtomic(settingsFile, `${JSON.stringify(settings, null, 2)}\n`);
  const changes = officialClassChanges(settings);
  const notes = [
    ...(changes.length ? [`the official AdapterConfig class needs: ${changes.join('; ')}`] : []),
    ...(config.head === 'none' ? [] : ['the knowledge head is not exported (the official heads differ)']),
  ];
  return { files: [weights, settingsFile], notes };
}

/** A state dict as safetensors; a torch pickle is refused with the one command that converts it. */
export function readKAdapterStateDict(file: string): PlainTensors {
  if (!fs.existsSync(file)) throw new UserError(`${file} does not exist`);
  const head = Buffer.alloc(2);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 2, 0);
  } finally {
    fs.closeSync(fd);
  }
  // torch.save writes a zip (PK) since torch 1.6 and a bare pickle (0x80 protocol byte) before.
  if (head.toString('latin1') === 'PK' || head[0] === 0x80) {
    const out = path.join(path.dirname(file), K_ADAPTER_WEIGHTS);
    throw new UserError(`${file} is a torch pickle, which is not read here: convert it to safetensors first`, [
      `python -c "import torch; from safetensors.torch import save_file; ` +
        `save_file({k: v.contiguous() for k, v in torch.load('${file}', map_location='cpu').items()}, '${out}')"`,
    ]);
  }
  return readAll(file);
}

export interface KAdapterImport {
  from: string;
  base: BaseModel;
  out: string;
  /** The knowledge task the adapter was trained on (a registered task's name). */
  task: string;
  name: string;
  /** Overrides of k_adapter_config.json beside `from` (adapter_list, adapter_skip_layers). */
  settings: Partial<KAdapterSettings>;
}

/** Builds a head-less adapter folder from an official state dict; returns its names left out. */
export function importKAdapter(o: KAdapterImport): { ignored: string[] } {
  if (fs.existsSync(o.out) && fs.readdirSync(o.out).length > 0)
    throw new UserError(`${o.out} exists and is not empty: give a new folder`);
  const beside = readJsonFileIfExists(path.join(path.dirname(o.from), K_ADAPTER_SETTINGS), KAdapterSettings);
  const settings = { ...beside, ...o.settings };
  const list = settings.adapter_list;
  if (!list)
    throw new UserError(
      `the state dict does not say which base layers its adapters read, and no ${K_ADAPTER_SETTINGS} is beside it: ` +
        `pass --adapter-list (the official scripts use 0,11,22 on RoBERTa-large)`,
    );
  const { adapter, tensors, ignored } = fromKAdapter(readKAdapterStateDict(o.from), {
    ...settings,
    adapter_list: list,
  });
  const { hidden, layers } = o.base.config;
  if (adapter.baseHidden !== hidden || Math.max(...adapter.readLayers) > layers)
    throw new UserError(
      `the adapters read hidden size ${adapter.baseHidden} at base layers ${adapter.readLayers.join(',')}; ` +
        `the base model ${o.base.name} has hidden ${hidden} and ${layers} layers`,
    );
  const weights = kAdapter.create(adapter, 0);
  for (const [n, v] of Object.entries(weights.variables())) assignValues(v, tensors[n]!.data);
  try {
    saveAdapterFiles(o.out, {
      name: o.name,
      task: o.task,
      adapter: weights,
      head: null,
      base: o.base,
      lastLayer: layers,
      training: { importedFrom: 'microsoft/K-Adapter', file: path.basename(o.from), leftOut: ignored },
    });
  } finally {
    weights.dispose();
  }
  return { ignored };
}
