// A base model from a Hugging Face checkpoint folder: config.json, model.safetensors and the
// tokenizer files. Everything is checked here, at the edge, with errors that name the file.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { UserError } from '../util/errors.ts';
import { readJsonFile } from '../util/json-file.ts';
import { sha256File } from '../util/jsonl.ts';
import { encoderConfigFrom, maxSequenceLength, type EncoderConfig } from './encoder-config.ts';
import {
  countParameters,
  encoderPrefix,
  encoderTensors,
  hfNamedTensors,
  loadEncoderWeights,
  storedName,
  type EncoderWeights,
} from './encoder-weights.ts';
import { architecturesFor, decoderName, tiesWordEmbeddings } from './hf-architectures.ts';
import { ModelSource, SOURCE_FILE } from './model-fetch.ts';
import { openSafetensors, writeSafetensors, type TensorToWrite } from './safetensors.ts';
import { loadTokenizer, type BaseTokenizer, type TokenizerOptions } from './tokenizer.ts';

export interface BaseModel {
  dir: string;
  /** Folder name, or the hub id recorded by model:fetch. */
  name: string;
  config: EncoderConfig;
  weights: EncoderWeights;
  tokenizer: BaseTokenizer;
  /** Longest input in tokens, special tokens included. */
  maxLength: number;
  parameters: number;
  /** The hub revision model:fetch pinned, when known. */
  revision: string | null;
  /** The base this folder was trained from (multi-task, fine-tuned), when this project wrote it. */
  derivedFrom: { name: string; sha256: string } | null;
}

/** Hugging Face's class of the bare encoder, by model_type (AdapterHub's `model_class`). */
export const MODEL_CLASS: Record<EncoderConfig['modelType'], string> = {
  bert: 'BertModel',
  roberta: 'RobertaModel',
  'xlm-roberta': 'XLMRobertaModel',
  camembert: 'CamembertModel',
};

const weightHashes = new WeakMap<BaseModel, string>();

/** sha256 of the base's model.safetensors: what adapter files record to refuse another base. */
export function baseWeightsSha256(base: BaseModel): string {
  let h = weightHashes.get(base);
  if (h === undefined) {
    h = sha256File(path.join(base.dir, 'model.safetensors'));
    weightHashes.set(base, h);
  }
  return h;
}

export function loadBaseModel(dir: string, opts: TokenizerOptions = {}): BaseModel {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new UserError(`base model folder ${dir} does not exist`);
  for (const f of ['config.json', 'model.safetensors']) {
    if (!fs.existsSync(path.join(dir, f))) {
      const bin = f === 'model.safetensors' && fs.existsSync(path.join(dir, 'pytorch_model.bin'));
      throw new UserError(
        `${dir}: missing ${f}${bin ? ' (only pytorch_model.bin is there: convert it to safetensors, which needs no Python at run time)' : ''}`,
      );
    }
  }
  const configFile = path.join(dir, 'config.json');
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  } catch (e) {
    throw new UserError(`${configFile}: not JSON (${(e as Error).message})`);
  }
  const config = encoderConfigFrom(json, configFile);
  const tokenizer = loadTokenizer(dir, opts);
  const weights = loadEncoderWeights(openSafetensors(path.join(dir, 'model.safetensors')), config);
  const source = path.join(dir, SOURCE_FILE);
  const recorded = fs.existsSync(source) ? readJsonFile(source, ModelSource) : null;
  return {
    dir,
    name: recorded?.id ?? path.basename(path.resolve(dir)),
    config,
    weights,
    tokenizer,
    maxLength: maxSequenceLength(config),
    parameters: countParameters(encoderTensors(weights)),
    revision: recorded?.revision ?? null,
    derivedFrom: recorded?.derivedFrom ?? null,
  };
}

export function disposeBaseModel(m: BaseModel): void {
  tf.dispose(encoderTensors(m.weights));
}

/** Files of a source folder that hold its weights in other formats: they would be stale beside the trained ones. */
const STALE_WEIGHTS =
  /(^|\/)(onnx|openvino)(\/|$)|\.(bin|h5|msgpack|ot|onnx|onnx_data|pt|pth|ckpt|safetensors|gguf)$|\.index\.json$/;

/** The folders of a sentence-transformers checkpoint's modules other than the encoder (modules.json). */
function sentenceTransformerModules(dir: string): string[] {
  const file = path.join(dir, 'modules.json');
  if (!fs.existsSync(file)) return [];
  let modules: unknown;
  try {
    modules = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(modules)) throw new UserError(`${file}: not a list of modules`);
  return modules
    .map((m: { path?: unknown }) => m?.path)
    .filter((p): p is string => typeof p === 'string' && p.length > 0);
}

/**
 * Encoder weights trained from `base` (multi-task, fine-tuned) as a Hugging Face folder that is the
 * base's whole: every tensor of its model.safetensors under the same name and dtype (pooler and any
 * head kept, the encoder's replaced by the trained ones), its config with `architectures` naming
 * only classes whose tensors are all there, and its other files (tokenizer, sentence-transformers
 * modules, model card). loadBaseModel and transformers both read it like any base.
 */
export function saveEncoderCheckpoint(
  dir: string,
  base: BaseModel,
  weights: EncoderWeights,
  suffix: string,
  info: Record<string, unknown>,
): void {
  const src = openSafetensors(path.join(base.dir, 'model.safetensors'));
  const prefix = encoderPrefix(src);
  const hfConfig = readJsonFile(path.join(base.dir, 'config.json'), z.looseObject({}));
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, e] of src.tensors) tensors[name] = { dtype: e.dtype, shape: e.shape, bytes: src.readBytes(name) };
  const trained = (name: string, t: tf.Tensor, transposed: boolean): void => {
    const stored = src.tensors.get(name)!;
    const values = transposed ? tf.tidy(() => t.transpose()) : t;
    const data = values.dataSync() as Float32Array;
    if (transposed) values.dispose();
    // Narrow back to what the base stored (a half-precision base stays half); integers are never trained.
    const dtype = stored.dtype === 'F16' || stored.dtype === 'BF16' ? stored.dtype : 'F32';
    tensors[name] = { dtype, shape: stored.shape, data };
  };
  for (const [n, { tensor, transposed }] of Object.entries(hfNamedTensors(weights))) {
    trained(storedName(src, prefix, n)!, tensor, transposed);
  }
  // A stored LM decoder that transformers ties to the word embeddings must be those embeddings:
  // transformers would overwrite it on load anyway, and a reader that does not tie would use stale values.
  const decoder = decoderName(base.config.modelType);
  if (tiesWordEmbeddings(hfConfig) && src.tensors.has(decoder)) trained(decoder, weights.word, false);

  fs.mkdirSync(dir, { recursive: true });
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt', ...src.metadata });
  const architectures = architecturesFor(base.config.modelType, hfConfig, new Set(src.tensors.keys()), prefix);
  fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify({ ...hfConfig, architectures }, null, 2)}\n`);
  const modules = sentenceTransformerModules(base.dir);
  for (const f of fs.readdirSync(base.dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const from = path.join(base.dir, f);
    const rel = f.split(path.sep).join('/');
    if (['model.safetensors', 'config.json', SOURCE_FILE].includes(rel)) continue;
    // A sentence-transformers module's own weights (2_Dense/model.safetensors) are not the encoder's: kept.
    const inModule = modules.some((m) => rel.startsWith(`${m}/`));
    if (!inModule && STALE_WEIGHTS.test(rel)) continue;
    if (rel.split('/').some((part) => part.startsWith('.') && part !== '.gitattributes')) continue;
    if (fs.statSync(from).isDirectory()) fs.mkdirSync(path.join(dir, f), { recursive: true });
    else fs.copyFileSync(from, path.join(dir, f));
  }
  fs.writeFileSync(
    path.join(dir, SOURCE_FILE),
    `${JSON.stringify({ id: `${base.name}+${suffix}`, from: suffix, derivedFrom: base.derivedFrom ?? { name: base.name, sha256: baseWeightsSha256(base) }, ...info }, null, 2)}\n`,
  );
}
