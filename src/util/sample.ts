// Seeded, hash-ordered samples: which rows a cap keeps is decided by a hash of each row's id and a
// seed, never by the order of a file (the project's files are sorted by id, so by source: the
// first N rows would be a few sources only). Samples stream: at most `cap` rows are held, the N
// with the smallest rank (a bounded max-heap), so a file of any size is sampled in bounded memory.
// The same seed keeps the same rows in the same order on every run and machine, whatever the
// order the rows come in.
import { createHash } from 'node:crypto';

/** A row's place in the seeded order: the hex SHA-256 of the seed and the id. */
export function sampleRank(seed: number | string, id: string): string {
  return createHash('sha256').update(`${seed}\u0000${id}`).digest('hex');
}

/** A number in [0, 1) from a hex hash: its first 32 bits. */
export function unitOf(hex: string): number {
  return parseInt(hex.slice(0, 8), 16) / 2 ** 32;
}

/** Every row, in the seeded hash order (smallest rank first). */
export function byHashOf<T>(rows: readonly T[], idOf: (row: T) => string, seed: number | string): T[] {
  return rows
    .map((r) => [sampleRank(seed, idOf(r)), idOf(r), r] as const)
    .sort(([a, ia], [b, ib]) => (a < b ? -1 : a > b ? 1 : ia < ib ? -1 : ia > ib ? 1 : 0))
    .map(([, , r]) => r);
}

interface Ranked<T> {
  rank: string;
  /** Breaks ties between equal ranks (the same id offered twice): the smaller key first. */
  key: string;
  item: T;
}

const before = (a: Ranked<unknown>, b: Ranked<unknown>) => a.rank < b.rank || (a.rank === b.rank && a.key < b.key);

/**
 * Keeps the `size` items with the smallest rank (a max-heap on rank; `null` = keep everything).
 * `wouldKeep(rank)` says, before the item is made, whether an item of that rank can still get
 * in, so that the costly part of a row (tokenizing it) is done only for the few that can.
 */
export class BottomK<T> {
  private readonly heap: Ranked<T>[] = [];
  constructor(private readonly size: number | null) {
    if (size !== null && !(Number.isInteger(size) && size >= 0)) throw new Error(`BottomK: size ${size}`);
  }

  get length(): number {
    return this.heap.length;
  }

  get full(): boolean {
    return this.size !== null && this.heap.length >= this.size;
  }

  /** Whether an item of this rank would be kept now (it may still be evicted later). */
  wouldKeep(rank: string, key = ''): boolean {
    if (this.size === 0) return false;
    return !this.full || before({ rank, key, item: null }, this.heap[0]!);
  }

  /** Offers an item; returns the item that left (the evicted one, or this one when refused), or null. */
  offer(rank: string, item: T, key = ''): T | null {
    const c: Ranked<T> = { rank, key, item };
    const h = this.heap;
    if (this.size === 0) return item;
    if (!this.full) {
      h.push(c);
      this.up(h.length - 1);
      return null;
    }
    if (!before(c, h[0]!)) return item;
    const evicted = h[0]!;
    h[0] = c;
    this.down(0);
    return evicted.item;
  }

  /** The kept items, smallest rank first. */
  sorted(): T[] {
    return [...this.heap].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0)).map((c) => c.item);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[m]!, h[l]!)) m = l;
      if (r < h.length && before(h[m]!, h[r]!)) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}

export interface StreamSample<T> {
  /** The kept items, smallest rank first. */
  items: T[];
  /** Rows offered (read). */
  offered: number;
}

/**
 * A seeded sample of at most `cap` items from a stream of rows (`null` = all of them, in the
 * seeded order). `make` turns a row into its item, or null when the row is unusable (the caller
 * counts why); it is called only for rows whose rank can still get into the sample, so a cap over
 * a large file tokenizes about cap·ln(rows/cap) rows, not all of them, and the sample is still
 * exactly the `cap` usable rows of smallest rank.
 */
export async function sampleStream<R, T>(
  rows: AsyncIterable<R> | Iterable<R>,
  o: { cap: number | null; seed: number | string; idOf: (row: R) => string; make: (row: R) => T | null },
): Promise<StreamSample<T>> {
  const kept = new BottomK<T>(o.cap);
  let offered = 0;
  for await (const row of rows) {
    offered++;
    const id = o.idOf(row);
    const rank = sampleRank(o.seed, id);
    if (!kept.wouldKeep(rank, id)) continue;
    const item = o.make(row);
    if (item !== null) kept.offer(rank, item, id);
  }
  return { items: kept.sorted(), offered };
}

/** Counts of a key (a source) over items: { key: n }, keys sorted. */
export function countBy<T>(items: Iterable<T>, keyOf: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) {
    const k = keyOf(i);
    out[k] = (out[k] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
