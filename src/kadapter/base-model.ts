// A base model from a Hugging Face checkpoint folder: config.json, model.safetensors and the
// tokenizer files. Everything is checked here, at the edge, with errors that name the file.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ModelSource } from '../data/files.ts';
import { UserError } from '../util/errors.ts';
import { readJsonFile } from '../util/json-file.ts';
import { sha256File } from '../util/jsonl.ts';
import { encoderConfigFrom, maxSequenceLength, type EncoderConfig } from './encoder-config.ts';
import {
  countParameters,
  encoderTensors,
  hfNamedTensors,
  loadEncoderWeights,
  type EncoderWeights,
} from './encoder-weights.ts';
import { SOURCE_FILE } from './model-fetch.ts';
import { openSafetensors, writeSafetensors } from './safetensors.ts';
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

/**
 * Encoder weights trained from `base` (multi-task, fine-tuned) as a Hugging Face folder in the
 * base's layout, with its tokenizer and config: loadBaseModel reads it like any base.
 */
export function saveEncoderCheckpoint(
  dir: string,
  base: BaseModel,
  weights: EncoderWeights,
  suffix: string,
  info: Record<string, unknown>,
): void {
  fs.mkdirSync(dir, { recursive: true });
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const [n, { tensor, transposed }] of Object.entries(hfNamedTensors(weights))) {
    const t = transposed ? tf.tidy(() => tensor.transpose()) : tensor;
    tensors[n] = { dtype: 'F32', shape: t.shape, data: t.dataSync() as Float32Array };
    if (transposed) t.dispose();
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  for (const f of [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'vocab.txt',
    'vocab.json',
    'merges.txt',
  ]) {
    if (fs.existsSync(path.join(base.dir, f))) fs.copyFileSync(path.join(base.dir, f), path.join(dir, f));
  }
  fs.writeFileSync(
    path.join(dir, SOURCE_FILE),
    `${JSON.stringify({ id: `${base.name}+${suffix}`, from: suffix, derivedFrom: base.derivedFrom ?? { name: base.name, sha256: baseWeightsSha256(base) }, ...info }, null, 2)}\n`,
  );
}
