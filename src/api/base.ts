// Loading a base model for library use: the backend is chosen first (native TensorFlow, else
// wasm, else the pure-JS backend; KADAPTER_BACKEND overrides), then the checkpoint folder is read.
import type { Backend } from '../config/schema.ts';
import { loadConfig } from '../config/load.ts';
import { describeBackend, initBackend } from '../kadapter/backend.ts';
import { disposeBaseModel, loadBaseModel, type BaseModel } from '../kadapter/base-model.ts';
import { resolveBaseModelDir } from '../kadapter/model-fetch.ts';

export type { BaseModel };
export { disposeBaseModel };

export interface LoadBaseOptions {
  /** Which compute backend; default: the configuration's (KADAPTER_BACKEND, else `auto`). */
  backend?: Backend;
}

/**
 * A base model from a Hugging Face checkpoint folder (config.json, model.safetensors, tokenizer
 * files), or the default base that `npm run model:fetch` put in the cache when no folder is given.
 */
export async function loadBase(dir?: string, opts: LoadBaseOptions = {}): Promise<BaseModel> {
  const config = loadConfig({ baseModel: dir });
  await initBackend(opts.backend ?? config.backend);
  return loadBaseModel(resolveBaseModelDir(config));
}

/** The backend that runs the tensors, with why it was chosen (e.g. "tensorflow (auto)"). */
export async function backendInUse(requested: Backend = 'auto'): Promise<string> {
  return describeBackend(await initBackend(requested));
}
