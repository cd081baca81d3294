// Where each stage's outputs live inside a profile's build and reports folders: one place, so a
// stage, the evaluation and the scripts agree without importing one another.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.ts';

export function dependencyDir(config: Config): string {
  return path.join(config.paths.buildDir, 'dependency');
}

/** The example shards of one split, in order, as paths (none when nothing is built). */
export function dependencySplitFiles(config: Config, split: string): string[] {
  const dir = dependencyDir(config);
  if (!fs.existsSync(dir)) return [];
  const name = new RegExp(`^${split}-\\d+\\.jsonl$`);
  return fs
    .readdirSync(dir)
    .filter((f) => name.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

export function factsDir(config: Config): string {
  return path.join(config.paths.buildDir, 'facts');
}

/** Adapter and multi-task training runs. */
export function runsDir(config: Config): string {
  return path.join(config.paths.buildDir, 'runs');
}

/** Where a protocol's report goes: the profile's reports folder, finetune in its own subfolder. */
export function reportsDir(config: Config, protocol = config.eval.protocol): string {
  return protocol === 'frozen' ? config.paths.reportsDir : path.join(config.paths.reportsDir, protocol);
}
