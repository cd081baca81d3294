// Chemical elements (periodic-table): each an instance of WordNet's "chemical element", and of its
// group ("noble gas", "halogen", …) where WordNet has that group.
import { createRequire } from 'node:module';
import { countSkip, emptyBatch, type KgBatch } from './types.ts';
import { nounSynsetOf } from './wordnet.ts';

const require = createRequire(import.meta.url);

interface Element {
  atomicNumber?: number;
  symbol?: string;
  name?: string;
  groupBlock?: string;
}

export function loadPeriodicTable(opts: { linkToWordnet: boolean }): KgBatch {
  const batch = emptyBatch();
  const elements = (require('periodic-table') as { all(): Element[] }).all();
  const element = opts.linkToWordnet ? nounSynsetOf('chemical element') : null;
  const groups = new Map<string, string | null>();
  for (const e of elements) {
    if (!e.symbol || !e.name || !e.atomicNumber) {
      countSkip(batch, 'malformed-element');
      continue;
    }
    const id = `element:${e.symbol}`;
    // One-letter symbols ("C", "I") would match everywhere; they are no alias.
    batch.entities.push({
      id,
      name: e.name,
      aliases: e.symbol.length > 1 ? [e.symbol] : [],
      types: ['entity', 'object'],
      source: 'periodic-table',
    });
    if (element) batch.triples.push({ subject: id, predicate: 'P31', object: element, source: 'periodic-table' });
    if (opts.linkToWordnet && e.groupBlock) {
      const group = e.groupBlock.replace(/s$/, '');
      if (!groups.has(group)) groups.set(group, nounSynsetOf(group));
      const target = groups.get(group);
      if (target) batch.triples.push({ subject: id, predicate: 'P31', object: target, source: 'periodic-table' });
    }
  }
  return batch;
}
