// Where each stage's outputs live inside a profile's build and reports folders: one place, so a
// stage, the evaluation and the scripts agree without importing one another.
import fs from 'node:fs';
import path from 'node:path';

/**
 * What the layout reads of a profile's config: src/config/schema.ts's Config has these fields (data/
 * sits below config/ and does not import it).
 */
export interface LayoutConfig {
  paths: { buildDir: string; reportsDir: string };
  eval: { protocol: string };
}

export function dependencyDir(config: LayoutConfig): string {
  return path.join(config.paths.buildDir, 'dependency');
}

/** The example shards of one split, in order, as paths (none when nothing is built). */
export function dependencySplitFiles(config: LayoutConfig, split: string): string[] {
  const dir = dependencyDir(config);
  if (!fs.existsSync(dir)) return [];
  const name = new RegExp(`^${split}-\\d+\\.jsonl$`);
  return fs
    .readdirSync(dir)
    .filter((f) => name.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

export function factsDir(config: LayoutConfig): string {
  return path.join(config.paths.buildDir, 'facts');
}

/** The knowledge graph's downstream sets (distant supervision; entity pairs held out from adapter training). */
export const kgTypingDir = (config: LayoutConfig): string => path.join(factsDir(config), 'entity_typing');
export const kgRelationDir = (config: LayoutConfig): string => path.join(factsDir(config), 'downstream');

export function heldoutDir(config: LayoutConfig): string {
  return path.join(config.paths.buildDir, 'heldout');
}

/**
 * The held-out sets that CoreNLP made (build-data --part heldout), each a folder of
 * {train,dev,test}.jsonl in the formats of the knowledge graph's sets: NER typing in OpenEntity's
 * format, KBP relations in TACRED's.
 */
export const HELDOUT_SETS = {
  ner_typing: { task: 'entity-typing' },
  kbp_relation: { task: 'relation' },
} as const;
export type HeldoutSet = keyof typeof HELDOUT_SETS;

export function heldoutSetDir(config: LayoutConfig, set: HeldoutSet): string {
  return path.join(heldoutDir(config), set);
}
export const nerTypingDir = (config: LayoutConfig): string => heldoutSetDir(config, 'ner_typing');
export const kbpRelationDir = (config: LayoutConfig): string => heldoutSetDir(config, 'kbp_relation');

/**
 * A downstream split's file in a set's folder: `<split>.json` (a JSON array, as the official
 * datasets ship) or `<split>.jsonl`; null when neither is there.
 */
export function setSplitFile(dir: string, split: string): string | null {
  return ['json', 'jsonl'].map((ext) => path.join(dir, `${split}.${ext}`)).find((f) => fs.existsSync(f)) ?? null;
}

/** Adapter and multi-task training runs. */
export function runsDir(config: LayoutConfig): string {
  return path.join(config.paths.buildDir, 'runs');
}

/**
 * The pooled-vector cache of the frozen protocol (src/eval/pooled.ts): content-addressed files that
 * evaluate and ablate share, in the build folder beside the features the adapters trained on.
 */
export function pooledCacheDir(config: LayoutConfig): string {
  return path.join(config.paths.buildDir, 'pooled');
}

/** Where a protocol's report goes: the profile's reports folder, finetune in its own subfolder. */
export function reportsDir(config: LayoutConfig, protocol = config.eval.protocol): string {
  return protocol === 'frozen' ? config.paths.reportsDir : path.join(config.paths.reportsDir, protocol);
}

/** The ablate stage's folder, inside the frozen protocol's reports. */
export const ablationDir = (config: LayoutConfig): string => path.join(reportsDir(config, 'frozen'), 'ablation');

/**
 * The folders inside a reports folder that other writers own (ablate, the finetune protocol's
 * evaluate): evaluate --force clears everything else.
 */
export const OTHER_WRITERS = ['ablation', 'finetune'] as const;
