// The pipeline's stages in order.
import type { Config } from '../src/config/schema.ts';
import { ablationDir, reportsDir } from '../src/data/layout.ts';
import { buildDependencyData } from './dependency-data.ts';
import { buildFactsData } from './facts-data.ts';
import { buildHeldoutData } from './heldout-data.ts';
import { ADAPTER_NAMES, runTrainStage, type AdapterName } from './train.ts';
import { runEvaluateStage } from './evaluate.ts';
import { runAblateStage } from './ablate.ts';

/** In build order: facts and heldout read the dependency part's sentences. */
export const DATA_PARTS = ['dependency', 'facts', 'heldout'] as const;
export type DataPart = (typeof DATA_PARTS)[number];

export interface StageOptions {
  force: boolean;
  inputs: string[];
  /** build-data only: which halves to build. */
  parts: DataPart[];
  /** train only: which adapters. */
  adapters?: AdapterName[];
}

export interface Stage {
  name: 'build-data' | 'train' | 'evaluate' | 'ablate';
  summary: string;
  /**
   * The folder the stage writes, locked while it runs: the profile's build folder (build-data,
   * train), its reports folder (evaluate) or the ablation folder inside it (ablate), so that
   * evaluate and ablate, which write disjoint files, can run side by side.
   */
  folder(config: Config): { dir: string; what: string };
  run(config: Config, opts: StageOptions): Promise<void>;
}

const buildFolder = (config: Config) => ({ dir: config.paths.buildDir, what: 'build folder' });

export const STAGES: Stage[] = [
  {
    name: 'build-data',
    folder: buildFolder,
    summary:
      'parse sentences with CoreNLP, build relation examples from the Neo4j knowledge graph, and held-out NER typing and KBP relation sets',
    run: async (config, opts) => {
      if (opts.parts.includes('dependency')) await buildDependencyData(config, opts);
      if (opts.parts.includes('facts')) await buildFactsData(config, opts);
      if (opts.parts.includes('heldout')) await buildHeldoutData(config, opts);
    },
  },
  {
    name: 'train',
    folder: buildFolder,
    summary: 'train the linguistic and factual adapters on the frozen base model',
    run: (config, opts) => runTrainStage(config, { adapters: opts.adapters ?? [...ADAPTER_NAMES], force: opts.force }),
  },
  {
    name: 'evaluate',
    folder: (config) => ({ dir: reportsDir(config), what: 'reports folder' }),
    summary: 'evaluate adapters and baselines on entity typing and relation classification',
    run: (config, opts) => runEvaluateStage(config, { force: opts.force }),
  },
  {
    name: 'ablate',
    folder: (config) => ({ dir: ablationDir(config), what: 'ablation folder' }),
    summary: 'ablations over combined adapters (which adapters, sum or concat, which layers)',
    run: (config, opts) => runAblateStage(config, { force: opts.force }),
  },
];
