// The three profiles of SPEC §3. Paths are filled in by loadConfig (they depend on the machine).
import type { Config, ProfileName } from './schema.ts';

export type ProfileDefaults = Omit<Config, 'paths' | 'profile'>;

const base: ProfileDefaults = {
  backend: 'auto',
  services: {
    startTimeoutS: 180,
    corenlp: {
      urls: [],
      annotators: 'tokenize,ssplit,pos,depparse',
      heapMb: 4096,
      threads: 2,
      requestTimeoutMs: 120_000,
    },
    neo4j: { uri: null, user: 'neo4j', password: null, home: null, heapMb: 1024, pageCacheMb: 512 },
  },
  data: { sentences: 100_000 },
};

export const PROFILES: Record<ProfileName, ProfileDefaults> = {
  // CI and tests: a few hundred sentences, small services.
  smoke: {
    ...base,
    services: {
      ...base.services,
      corenlp: { ...base.services.corenlp, heapMb: 3072 },
      neo4j: { ...base.services.neo4j, heapMb: 512, pageCacheMb: 256 },
    },
    data: { sentences: 500 },
  },
  // What a newcomer runs on a 2-core CPU machine.
  default: base,
  // The paper's scale: data building on CPU, training on a GPU.
  full: {
    ...base,
    services: { ...base.services, neo4j: { ...base.services.neo4j, heapMb: 2048, pageCacheMb: 2048 } },
    data: { sentences: 1_000_000 },
  },
};
