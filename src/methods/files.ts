// Adapter files, in the spirit of AdapterHub and PEFT: a folder with adapter_config.json and
// adapter.safetensors, plus head_config.json and head.safetensors — loadable into a fresh process
// with the base model alone, no training run needed.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { AdapterConfig } from '../kadapter/adapter.ts';
import { baseWeightsSha256, MODEL_CLASS, type BaseModel } from '../kadapter/base-model.ts';
import { countParameters } from '../kadapter/encoder-weights.ts';
import { openSafetensors, writeSafetensors } from '../kadapter/safetensors.ts';
import { assignValues } from '../kadapter/variables.ts';
import { LIBRARY_VERSION } from '../kadapter/version.ts';
import { knowledgeTask, readHeadSettings, type HeadSettings } from '../tasks/knowledge/index.ts';
import { UserError } from '../util/errors.ts';
import { readJsonFile } from '../util/json-file.ts';
import { writeFileAtomic } from '../util/jsonl.ts';
import { K_ADAPTER } from './k-adapter/method.ts';
import { method, type Adapter } from './index.ts';
import { initKnowledgeHead, type KnowledgeHead, type KnowledgeModel } from './knowledge-model.ts';

const count = z.number().int().min(0);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in hex');

export const ADAPTER_FORMAT = 'kadapter-adapter/2';
const ADAPTER_FORMAT_V1 = 'kadapter-adapter/1';

/** The adapter's settings as adapter_config.json writes them: `architecture` names the method, whose schema reads the rest. */
export const AdapterFileShape = z.looseObject({ architecture: z.string().min(1) });
export type AdapterFileShape = z.infer<typeof AdapterFileShape>;

const AdapterFileCommon = {
  /** factual or linguistic (or any name a user gives). */
  name: z.string().min(1),
  /** The knowledge task the adapter was trained on (a registered task's name). */
  task: z.string().min(1),
  /** Base layer fused with the adapter's output by the head (L). */
  lastLayer: z.number().int().min(0),
  /**
   * 'none': no knowledge head in the folder (an adapter imported from a format whose head has no
   * equivalent here); absent: head_config.json and head.safetensors are there.
   */
  head: z.literal('none').optional(),
  parameters: z.strictObject({ adapter: count, head: count, base: count, adapterShareOfBase: z.number().min(0) }),
  training: z.record(z.string(), z.unknown()).optional(),
};

/**
 * adapter_config.json, written last (a folder that has it is complete). AdapterHub's fields —
 * name, version (of the library that wrote it), model_name, model_type, model_class, hidden_size,
 * config — and the base's provenance: its revision and the sha256 of its weights file, so that an
 * adapter is refused on a base whose weights differ, not only on one of another shape.
 */
export const AdapterFileConfig = z.strictObject({
  format: z.literal(ADAPTER_FORMAT),
  ...AdapterFileCommon,
  version: z.string().min(1),
  model_name: z.string().min(1),
  model_type: z.string().min(1),
  model_class: z.string().min(1),
  hidden_size: z.number().int().min(1),
  model_layers: z.number().int().min(1),
  model_revision: z.string().min(1).nullable(),
  /** sha256 of the base's model.safetensors; null only for files of the first format, which lack it. */
  model_sha256: sha256.nullable(),
  config: AdapterFileShape,
});
export type AdapterFileConfig = z.infer<typeof AdapterFileConfig>;

/** The first format (no provenance), read as the current one with the base's hash unknown. */
const AdapterFileConfigV1 = z
  .strictObject({
    format: z.literal(ADAPTER_FORMAT_V1),
    ...AdapterFileCommon,
    base: z.strictObject({
      name: z.string().min(1),
      modelType: z.string(),
      hidden: z.number().int().min(1),
      layers: z.number().int().min(1),
    }),
    adapter: AdapterConfig,
  })
  .transform(({ base, adapter, format: _format, ...rest }): AdapterFileConfig => ({
    format: ADAPTER_FORMAT,
    ...rest,
    version: 'unknown',
    model_name: base.name,
    model_type: base.modelType,
    model_class: 'unknown',
    hidden_size: base.hidden,
    model_layers: base.layers,
    model_revision: null,
    model_sha256: null,
    config: {
      architecture: K_ADAPTER,
      ...adapter,
      activation: 'gelu',
      heads: Math.max(1, Math.floor(adapter.size / 64)),
    },
  }));

/** adapter_config.json of either format, as the current one. */
export const AdapterFileConfigAnyFormat = z.union([AdapterFileConfig, AdapterFileConfigV1]);

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
    /** The knowledge task trained (a registered task's name). */
    task: string;
    adapter: Adapter;
    /** null: a folder without a knowledge head. */
    head: KnowledgeHead | null;
    base: BaseModel;
    lastLayer: number;
    training?: Record<string, unknown>;
  },
): AdapterFileConfig {
  fs.mkdirSync(dir, { recursive: true });
  const m = method(o.adapter.method);
  const named = o.adapter.variables();
  const adapterParams = countParameters(Object.values(named));
  const headParams = o.head ? countParameters(Object.values(o.head.weights)) : 0;
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
    config: m.fileConfig(o.adapter.config),
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
  writeSafetensors(path.join(dir, 'adapter.safetensors'), toWrite(named), { format: ADAPTER_FORMAT });
  if (o.head) {
    writeSafetensors(path.join(dir, 'head.safetensors'), toWrite(o.head.weights), { format: ADAPTER_FORMAT });
    writeFileAtomic(path.join(dir, 'head_config.json'), `${JSON.stringify(o.head.settings, null, 2)}\n`);
  }
  // Written last: a folder with adapter_config.json is complete.
  writeFileAtomic(path.join(dir, 'adapter_config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return config;
}

export interface LoadedAdapter {
  config: AdapterFileConfig;
  /** The adapter (its method's settings and the saved weights). */
  adapter: Adapter;
  /** null when the folder has no knowledge head (config.head 'none'). */
  head: KnowledgeHead | null;
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
  const config = readJsonFile(file, AdapterFileConfigAnyFormat);
  knowledgeTask(config.task);
  return config;
}

/** The method's settings from a folder's config, read by the method's own schema (a clear error otherwise). */
export function adapterSettings(config: AdapterFileConfig, where = config.name): unknown {
  const parsed = method(config.config.architecture).fileSchema.safeParse(config.config);
  if (!parsed.success)
    throw new UserError(
      `${where}: adapter_config.json config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/**
 * Why an adapter may not load onto a base, or null when it may. A base of another shape is always
 * refused; one whose weights differ (by sha256) is refused unless allowed. A base this project
 * trained from the adapter's base (multi-task, fine-tuned) records that and is accepted.
 */
export function baseMismatch(
  config: AdapterFileConfig,
  base: BaseModel,
  allowOtherBase = false,
  settings = adapterSettings(config),
): string | null {
  const shape = { hidden: base.config.hidden, layers: base.config.layers, layerNormEps: base.config.layerNormEps };
  if (
    config.hidden_size !== base.config.hidden ||
    config.lastLayer > base.config.layers ||
    method(config.config.architecture).baseMismatch(settings, shape) !== null
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

/** Loads an adapter folder for a base model; another base is refused (see baseMismatch). */
export function loadAdapterFiles(dir: string, base: BaseModel, opts: LoadAdapterOptions = {}): LoadedAdapter {
  const config = readAdapterConfig(dir);
  const settings = adapterSettings(config, dir);
  const why = baseMismatch(config, base, opts.allowOtherBase, settings);
  if (why) throw new UserError(`${dir}: ${why}`);
  const note = (line: string) => process.stderr.write(`kadapter: note: ${dir}: ${line}\n`);
  if (config.model_sha256 === null) note("written without its base's hash (an older format): checked by shape only");
  else if (config.model_name !== base.name && baseWeightsSha256(base) !== config.model_sha256)
    note(`trained on ${config.model_name}, loaded on ${base.name}`);
  const headSettings: HeadSettings | null =
    config.head === 'none' ? null : readHeadSettings(readJsonFile(path.join(dir, 'head_config.json'), z.unknown()));
  const adapter = method(config.config.architecture).create(settings, 0);
  const head = headSettings ? initKnowledgeHead(headSettings, 0) : null;
  assignFrom(path.join(dir, 'adapter.safetensors'), adapter.variables());
  if (head) assignFrom(path.join(dir, 'head.safetensors'), head.weights);
  return { config, adapter, head };
}

/** Frees a loaded adapter's tensors (and its head's). */
export function disposeLoadedAdapter(a: LoadedAdapter): void {
  a.adapter.dispose();
  if (a.head) tf.dispose(Object.values(a.head.weights));
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

/** The loaded adapter with its head as a model, for the head's logits on new examples. */
export function loadedModel(a: LoadedAdapter): KnowledgeModel {
  if (!a.head) throw new UserError(`adapter ${a.config.name} has no knowledge head (imported without one)`);
  return { adapter: a.adapter, task: knowledgeTask(a.config.task), head: a.head, lastLayer: a.config.lastLayer };
}
