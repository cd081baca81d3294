// Scoring a trained row of the evaluation (its frozen base and components, and its task layers:
// reports/<profile>/runs/<task>[@<set>]/<row>/seed-N) on any file in the standard format.
import { initBackend } from '../kadapter/backend.ts';
import { disposeLoadedAdapter, type LoadedAdapter } from '../methods/files.ts';
import { disposeBaseModel, loadBaseModel } from '../kadapter/base-model.ts';
import type { Backend } from '../config/schema.ts';
import { resolveComponents, type ComponentVectors } from '../eval/components.ts';
import { taskLayerSpec } from '../eval/matrix.ts';
import { poolFeatures, pooledSource } from '../eval/pooled.ts';
import { loadRowRun } from '../eval/run-files.ts';
import { scoreTask, type Scores } from '../eval/score.ts';
import { predictWithTaskLayers } from '../eval/task-layers.ts';
import { encodeTaskFile, unseenLabels } from '../eval/downstream-data.ts';
import { UserError } from '../util/errors.ts';

/** A downstream task whose sets are files in its format (entity-typing, relation): src/eval/sets.ts tasksWithFolderSets. */
export type ScoredTask = string;

export interface ScoreOptions {
  /** The row run's folder. */
  run: string;
  task: ScoredTask;
  /** OpenEntity/FIGER rows for entity-typing, TACRED rows for relation (JSON array or JSON Lines). */
  test: string;
  /** The base folder to use instead of the one the run recorded. */
  baseModel?: string;
  maxLength?: number;
  backend?: Backend;
}

export interface TaskFileScore {
  run: string;
  task: ScoredTask;
  test: string;
  row: string;
  combine: 'sum' | 'concat' | null;
  base: string;
  examples: number;
  skipped: Record<string, number>;
  unseenLabels: Record<string, number>;
  metrics: Scores;
}

export async function scoreTaskFile(o: ScoreOptions): Promise<TaskFileScore> {
  const { file: saved, weights } = loadRowRun(o.run);
  if (saved.task !== o.task) throw new UserError(`${o.run} was trained for ${saved.task}, not ${o.task}`);
  await initBackend(o.backend ?? 'auto');
  const baseDir = o.baseModel ?? saved.base.dir;
  if (!baseDir)
    throw new UserError(
      `${o.run} is a finetune run whose tuned base was not kept (eval.finetune.keepBases lists the rows that keep theirs, first seed only)`,
    );
  const base = loadBaseModel(baseDir);
  const folders = new Map<string, LoadedAdapter>();
  let components: ComponentVectors[] = [];
  try {
    if (base.config.hidden !== saved.base.hidden) {
      throw new UserError(
        `${o.run} was trained on ${saved.base.name} (hidden ${saved.base.hidden}); the base model ${base.name} has hidden ${base.config.hidden}`,
      );
    }
    components = resolveComponents(saved.row.components, base, folders);
    const maxLength = Math.min(o.maxLength ?? base.maxLength, base.maxLength);
    const skipped: Record<string, number> = {};
    const examples = encodeTaskFile(o.task, o.test, base.tokenizer, maxLength, skipped);
    if (examples.length === 0)
      throw new UserError(`${o.test}: no example could be encoded (${JSON.stringify(skipped)})`);
    const unseen = unseenLabels(examples, saved.labels);
    const pooled = await poolFeatures(base, components, examples, 'features');
    const spec = taskLayerSpec(saved.task, saved.labels, saved.row);
    const out = await predictWithTaskLayers(spec, weights, base.config.hidden, pooledSource(examples, pooled));
    return {
      run: o.run,
      task: o.task,
      test: o.test,
      row: saved.row.label,
      combine: saved.row.combine === 'none' ? null : saved.row.combine,
      base: base.name,
      examples: examples.length,
      skipped,
      unseenLabels: unseen,
      metrics: scoreTask(o.task, saved.labels, examples, out),
    };
  } finally {
    // A library call frees what it loaded: the base, the adapters, the random draws.
    for (const a of folders.values()) disposeLoadedAdapter(a);
    for (const c of components) c.dispose?.();
    disposeBaseModel(base);
  }
}
