// The sentence sources by id, checked against the registry in datasets/sources.json (where each
// source's package and licence are recorded).
import path from 'node:path';
import { z } from 'zod';
import { SourceEntry } from '../../data/schemas.ts';
import { readJsonFile } from '../../util/json-file.ts';
import { repoRoot } from '../../util/paths.ts';
import type { SENTENCE_SOURCES } from '../../config/schema.ts';
import { brown } from './brown.ts';
import { djangoDoc, linuxDoc, pythonDoc, sklearnDoc, sqlalchemyDoc } from './debian-docs.ts';
import { gcide } from './gcide.ts';
import { mobyDick, nlpCorpus, sotu } from './text-packages.ts';
import { wordnet } from './wordnet.ts';
import type { SentenceSource } from './types.ts';

export const REGISTRY_FILE = path.join(repoRoot, 'datasets', 'sources.json');

export function loadRegistry(file = REGISTRY_FILE): SourceEntry[] {
  return readJsonFile(file, z.array(SourceEntry));
}

const SOURCES: Record<(typeof SENTENCE_SOURCES)[number], SentenceSource> = {
  brown,
  'nlp-corpus': nlpCorpus,
  sotu,
  'moby-dick': mobyDick,
  wordnet,
  gcide,
  'linux-doc': linuxDoc,
  'python-doc': pythonDoc,
  'django-doc': djangoDoc,
  'sqlalchemy-doc': sqlalchemyDoc,
  'sklearn-doc': sklearnDoc,
};

export function sentenceSources(ids: readonly (typeof SENTENCE_SOURCES)[number][]): SentenceSource[] {
  const registered = new Set(loadRegistry().map((e) => e.id));
  return ids.map((id) => {
    if (!registered.has(id))
      throw new Error(`source "${id}" is missing from ${path.relative(repoRoot, REGISTRY_FILE)}`);
    return SOURCES[id];
  });
}

/** The sources as build inputs: each one's id, version and registry entry (package, licence); other entries are not inputs. */
export function sourceInputs(sources: SentenceSource[]) {
  const registry = loadRegistry();
  return sources.map((s) => ({
    id: s.id,
    version: s.version(),
    registry: registry.find((e) => e.id === s.id) ?? null,
  }));
}
