// A composition of a base and components (adapter folders, or the base's own layers), combined as
// the evaluation's rows combine them, for encoding text outside a task: the composition value of
// src/data/composition.ts without task layers.
import type { CombineKind, Component } from '../data/composition.ts';
import { disposeLoadedAdapter, readAdapterConfig, type LoadedAdapter } from '../methods/files.ts';
import type { BaseModel } from '../kadapter/base-model.ts';
import { resolveComponents, type ComponentVectors } from '../eval/components.ts';
import { componentKey } from '../eval/rows.ts';
import { UserError } from '../util/errors.ts';

export type { CombineKind, Component };

export interface ComposeOptions {
  /** Adapter folders (their name comes from adapter_config.json) or component values. */
  components?: (string | Component)[];
  /**
   * How a token's vector is made from h_L and the component outputs: `sum` = h_L + Σ outputs
   * (width H), `concat` = [h_L ; output₁ ; …] (width H × (1 + components)); `none` (no
   * components) = h_L. Default: `sum` with components, `none` without.
   */
  combine?: CombineKind;
  /** Load adapters trained on a base whose weights differ from this one's (same shape). */
  allowOtherBase?: boolean;
}

export interface Composition {
  base: BaseModel;
  /** Output names in component order: an adapter's name (#2, #3 when repeated), `layers:0,2,5`. */
  names: string[];
  components: ComponentVectors[];
  combine: CombineKind;
  /** Width of a combined vector. */
  width: number;
  /** The adapter folders read, by folder. */
  folders: Map<string, LoadedAdapter>;
}

/** A component value from an adapter folder. */
export function adapterComponent(dir: string): Component {
  return { kind: 'adapter', name: readAdapterConfig(dir).name, weights: { dir } };
}

export function compose(base: BaseModel, opts: ComposeOptions = {}): Composition {
  const components = (opts.components ?? []).map((c) => (typeof c === 'string' ? adapterComponent(c) : c));
  const combine = opts.combine ?? (components.length > 0 ? 'sum' : 'none');
  if ((combine === 'none') !== (components.length === 0))
    throw new UserError(`combine "${combine}" needs ${combine === 'none' ? 'no' : 'at least one'} component`);
  const mix = components.find((c) => c.kind === 'scalarMix');
  if (mix) throw new UserError('a scalar mix has weights learned with task layers; it cannot encode on its own');
  const folders = new Map<string, LoadedAdapter>();
  const resolved = resolveComponents(components, base, folders, { allowOtherBase: opts.allowOtherBase ?? false });
  const H = base.config.hidden;
  return {
    base,
    names: outputNames(components),
    components: components.map((c) => resolved.find((r) => r.key === componentKey(c))!),
    combine,
    width: combine === 'concat' ? H * (1 + components.length) : H,
    folders,
  };
}

/** Frees the adapters a composition loaded or drew (the base is freed with disposeBaseModel). */
export function disposeComposition(c: Composition): void {
  for (const a of c.folders.values()) disposeLoadedAdapter(a);
  for (const v of c.components) v.dispose?.();
  c.folders.clear();
}

function outputNames(components: Component[]): string[] {
  const seen = new Map<string, number>();
  return components.map((c) => {
    const name = c.kind === 'adapter' ? c.name : `${c.kind}:${c.layers.join(',')}`;
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}#${n}`;
  });
}
