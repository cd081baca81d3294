// The rows of the evaluation as composition values (src/data/composition.ts): the paper's table
// and its controls. Adding a row is adding a value here; nothing else names a row's role.
import path from 'node:path';
import type { AdapterComponent, Component, Row } from '../data/composition.ts';
import type { AdapterConfig } from '../data/files.ts';

/** A trained knowledge adapter: its folder and its architecture (for the random control). */
export interface TrainedAdapter {
  name: string;
  dir: string;
  config: AdapterConfig;
}

/** Initialisation seeds of the random-adapter control, per adapter (recorded in every run that uses one). */
export const RANDOM_SEEDS: Record<string, number> = { factual: 1001, linguistic: 1002 };

export const trained = (a: TrainedAdapter): AdapterComponent => ({
  kind: 'adapter',
  name: a.name,
  weights: { dir: a.dir },
});

/** The control: the same architecture as the trained adapter, never trained. */
export const untrained = (a: TrainedAdapter): AdapterComponent => {
  const seed = RANDOM_SEEDS[a.name];
  if (seed === undefined) throw new Error(`no random-control seed for the adapter "${a.name}"`);
  return { kind: 'adapter', name: a.name, weights: { random: seed, config: a.config } };
};

/** The folder name of a row's runs: its id, with the combination unless there is none. */
export const runKey = (row: Row): string => (row.combine === 'none' ? row.id : `${row.id}-${row.combine}`);

/** A row with components: one per combination asked for. A row without: one, combined with nothing. */
export function withCombines(o: Omit<Row, 'combine'>, combines: readonly ('sum' | 'concat')[]): Row[] {
  return o.components.length === 0 ? [{ ...o, combine: 'none' }] : combines.map((combine) => ({ ...o, combine }));
}

/**
 * The main table: the base, the random-adapter control, the multi-task base (when trained), and
 * K-Adapter F, L and F+L, each adapter row with every combination.
 */
export function mainRows(o: {
  factual: TrainedAdapter;
  linguistic: TrainedAdapter;
  combines: readonly ('sum' | 'concat')[];
  multitask: boolean;
}): Row[] {
  const { factual: F, linguistic: L, combines } = o;
  return [
    ...withCombines({ id: 'base', label: 'base', base: 'base', components: [] }, combines),
    ...withCombines(
      { id: 'random', label: 'base + random adapters', base: 'base', components: [untrained(F), untrained(L)] },
      combines,
    ),
    ...(o.multitask
      ? withCombines({ id: 'multitask', label: 'multi-task base', base: 'multitask', components: [] }, combines)
      : []),
    ...withCombines({ id: 'F', label: 'K-Adapter F', base: 'base', components: [trained(F)] }, combines),
    ...withCombines({ id: 'L', label: 'K-Adapter L', base: 'base', components: [trained(L)] }, combines),
    ...withCombines({ id: 'FL', label: 'K-Adapter F+L', base: 'base', components: [trained(F), trained(L)] }, combines),
  ];
}

/** A stable identity of a component, for the vectors it yields (one computation, however many rows use it). */
export function componentKey(c: Component): string {
  if (c.kind === 'layers') return `layers:${c.layers.join(',')}`;
  const w =
    'dir' in c.weights
      ? `dir:${path.resolve(c.weights.dir)}`
      : `random:${c.weights.random}:${JSON.stringify(c.weights.config)}`;
  return `adapter:${c.name}:${w}${c.leaveOut?.length ? `:leave-out:${c.leaveOut.join(',')}` : ''}`;
}

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
