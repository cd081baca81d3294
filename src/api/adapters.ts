// Adapter folders for library use.
import { loadAdapterFiles, readAdapterConfig, type LoadAdapterOptions, type LoadedAdapter } from '../methods/files.ts';
import type { BaseModel } from '../kadapter/base-model.ts';
import type { AdapterFileConfig } from '../methods/files.ts';

export type { AdapterFileConfig, LoadAdapterOptions, LoadedAdapter };
export { readAdapterConfig };

/**
 * An adapter folder (adapter_config.json, adapter.safetensors, head files) loaded for a base. A base
 * of another shape is refused; one whose weights differ from those the adapter was trained on is
 * refused unless `allowOtherBase`.
 */
export function loadAdapter(dir: string, base: BaseModel, opts: LoadAdapterOptions = {}): LoadedAdapter {
  return loadAdapterFiles(dir, base, opts);
}
