// What a knowledge source gives the loader: entities and facts, and what it had to skip.
import type { KgEntity, KgTriple } from '../../data/schemas.ts';

export interface KgBatch {
  entities: KgEntity[];
  triples: KgTriple[];
  /** Malformed or unusable source records, by reason. */
  skipped: Record<string, number>;
}

export function emptyBatch(): KgBatch {
  return { entities: [], triples: [], skipped: {} };
}

export function countSkip(batch: KgBatch, reason: string): void {
  batch.skipped[reason] = (batch.skipped[reason] ?? 0) + 1;
}
