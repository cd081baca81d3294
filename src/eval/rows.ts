// The rows of the evaluation as composition values (src/data/composition.ts): the paper's table
// and its controls. Adding a row is adding a value here; nothing else names a row's role.
import path from 'node:path';
import type { AdapterComponent, Component, Row } from '../data/composition.ts';
import { method } from '../methods/index.ts';

/** A component's vectors as the task layers read them: one key, or a scalar mix of several keys (trained there). */
export type ComponentInput = { key: string } | { mix: string[] };

/** A trained knowledge adapter: its folder, its method and settings (for the random control), the layers it reads. */
export interface TrainedAdapter {
  name: string;
  dir: string;
  method: string;
  config: Record<string, unknown>;
  readLayers: readonly number[];
}

/** Initialisation seeds of the random-adapter control's first draw, per adapter; draw d adds 1000·(d − 1). */
export const RANDOM_SEEDS: Record<string, number> = { factual: 1001, linguistic: 1002 };

export const trained = (a: TrainedAdapter): AdapterComponent => ({
  kind: 'adapter',
  name: a.name,
  weights: { dir: a.dir },
});

/** The control: the same architecture as the trained adapter, never trained (draw d of the random control). */
export const untrained = (a: TrainedAdapter, draw = 1): AdapterComponent => {
  const seed = RANDOM_SEEDS[a.name];
  if (seed === undefined) throw new Error(`no random-control seed for the adapter "${a.name}"`);
  return {
    kind: 'adapter',
    name: a.name,
    weights: { random: seed + 1000 * (draw - 1), method: a.method, config: a.config },
  };
};

/** The base's own states at an adapter's read layers, summed: what that adapter is when untrained (its residual path). */
export const readLayersOf = (a: TrainedAdapter): Component => ({ kind: 'layers', layers: [...a.readLayers] });

/** A learned mix of every layer of a base with `layers` layers (0 = the embeddings). */
export const scalarMix = (layers: number): Component => ({
  kind: 'scalarMix',
  layers: Array.from({ length: layers + 1 }, (_, l) => l),
});

/** The folder name of a row's runs: its id, with the combination unless there is none. */
export const runKey = (row: Row): string => (row.combine === 'none' ? row.id : `${row.id}-${row.combine}`);

/** The folder of one run of a row: the replicate of its weights (if any) and the task seed. */
export const runFolder = (row: Pick<Row, 'replicate'>, seed: number): string =>
  row.replicate === undefined ? `seed-${seed}` : `r${row.replicate}-seed-${seed}`;

/** A row with components: one per combination asked for. A row without: one, combined with nothing. */
export function withCombines(o: Omit<Row, 'combine'>, combines: readonly ('sum' | 'concat')[]): Row[] {
  return o.components.length === 0 ? [{ ...o, combine: 'none' }] : combines.map((combine) => ({ ...o, combine }));
}

/** The same row once per replicate of its weights (replicate r uses `components(r)`). */
function replicated(
  o: Omit<Row, 'combine' | 'components'>,
  n: number,
  components: (r: number) => Component[],
  combines: readonly ('sum' | 'concat')[],
): Row[] {
  return combines.flatMap((combine) =>
    Array.from({ length: n }, (_, i) => ({ ...o, components: components(i + 1), combine, replicate: i + 1 })),
  );
}

/**
 * The main table. The paper's rows: the base, the multi-task base (when trained), K-Adapter F, L
 * and F+L, each adapter row with every combination and once per adapter pre-training seed. The
 * controls that tell knowledge from access to the base's lower layers: random adapters (several
 * draws), the base's own states at the adapters' read layers (the exact limit of a random
 * adapter, combined by the same layers), a learned scalar mix of all layers, and the multi-task
 * base with the same layer access.
 */
export function mainRows(o: {
  /** Per adapter, its trained folders: one per pre-training seed. */
  factual: TrainedAdapter[];
  linguistic: TrainedAdapter[];
  randomDraws: number;
  /** The base's layer count (for the scalar mix). */
  baseLayers: number;
  combines: readonly ('sum' | 'concat')[];
  multitask: boolean;
}): Row[] {
  const { factual: Fs, linguistic: Ls, combines } = o;
  const [F, L] = [Fs[0]!, Ls[0]!];
  const n = Math.min(Fs.length, Ls.length);
  const access = [readLayersOf(F), readLayersOf(L)];
  // The trained rows are named by their method (`K-Adapter F+L`).
  const title = method(F.method).title;
  return [
    ...withCombines({ id: 'base', label: 'base', base: 'base', components: [] }, combines),
    ...withCombines(
      { id: 'layers', label: 'base + read layers (random adapters’ limit)', base: 'base', components: access },
      combines,
    ),
    ...withCombines(
      { id: 'mix', label: 'base + scalar mix of all layers', base: 'base', components: [scalarMix(o.baseLayers)] },
      combines,
    ),
    ...replicated(
      { id: 'random', label: 'base + random adapters', base: 'base' },
      o.randomDraws,
      (d) => [untrained(F, d), untrained(L, d)],
      combines,
    ),
    ...(o.multitask
      ? [
          ...withCombines({ id: 'multitask', label: 'multi-task base', base: 'multitask', components: [] }, combines),
          ...withCombines(
            { id: 'multitask-layers', label: 'multi-task base + read layers', base: 'multitask', components: access },
            combines,
          ),
        ]
      : []),
    ...replicated({ id: 'F', label: `${title} F`, base: 'base' }, Fs.length, (r) => [trained(Fs[r - 1]!)], combines),
    ...replicated({ id: 'L', label: `${title} L`, base: 'base' }, Ls.length, (r) => [trained(Ls[r - 1]!)], combines),
    ...replicated(
      { id: 'FL', label: `${title} F+L`, base: 'base' },
      n,
      (r) => [trained(Fs[r - 1]!), trained(Ls[r - 1]!)],
      combines,
    ),
  ];
}

/** A stable identity of a component, for the vectors it yields (one computation, however many rows use it). */
export function componentKey(c: Component): string {
  if (c.kind === 'layers') return `layers:${c.layers.join(',')}`;
  if (c.kind === 'scalarMix') return `mix:${c.layers.join(',')}`;
  const w =
    'dir' in c.weights
      ? `dir:${path.resolve(c.weights.dir)}`
      : `random:${c.weights.method}:${c.weights.random}:${JSON.stringify(c.weights.config)}`;
  const leaveOut = c.leaveOut?.length ? `:leave-out:${c.leaveOut.join(',')}` : '';
  return `adapter:${c.name}:${w}${leaveOut}${c.part === 'delta' ? ':delta' : ''}`;
}

/** The components whose vectors are computed for `c`: itself, or each layer of a scalar mix. */
export const vectorComponents = (c: Component): Component[] =>
  c.kind === 'scalarMix' ? c.layers.map((l) => ({ kind: 'layers', layers: [l] })) : [c];

/** How the task layers read `c`: its vectors, or a mix of its layers' vectors. */
export const componentInput = (c: Component): ComponentInput =>
  c.kind === 'scalarMix' ? { mix: vectorComponents(c).map(componentKey) } : { key: componentKey(c) };

/** The row with its adapter folders written relative to `from` (a run's folder): no machine paths in run files. */
export function relativeRow(row: Row, from: string): Row {
  return mapDirs(row, (dir) => path.relative(from, dir) || '.');
}

/** The row with its adapter folders resolved from `from`. */
export function resolvedRow(row: Row, from: string): Row {
  return mapDirs(row, (dir) => path.resolve(from, dir));
}

function mapDirs(row: Row, f: (dir: string) => string): Row {
  return {
    ...row,
    components: row.components.map((c) =>
      c.kind === 'adapter' && 'dir' in c.weights ? { ...c, weights: { dir: f(c.weights.dir) } } : c,
    ),
  };
}
