// `kadapter evaluate --run <row run dir> --task entity-typing|relation --test <file>`: score a
// trained row (its frozen base and components, and its task layers) on any file in the standard
// format, printing the metrics as JSON.
import type { Config } from '../src/config/schema.ts';
import { UserError } from '../src/util/errors.ts';
import { initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel } from '../src/kadapter/base-model.ts';
import { resolveComponents } from '../src/eval/components.ts';
import { taskLayerSpec } from '../src/eval/matrix.ts';
import { poolFeatures, pooledSource } from '../src/eval/pooled.ts';
import { loadRowRun } from '../src/eval/run-files.ts';
import { scoreTask } from '../src/eval/score.ts';
import { predictWithTaskLayers } from '../src/eval/task-layers.ts';
import { encodeTaskFile, unseenLabels, type DownstreamTask } from '../src/eval/tasks.ts';

export async function scoreRun(
  config: Config,
  o: { run: string; task: Exclude<DownstreamTask, 'pos'>; test: string },
): Promise<void> {
  const { file: saved, weights } = loadRowRun(o.run);
  if (saved.task !== o.task) throw new UserError(`${o.run} was trained for ${saved.task}, not ${o.task}`);
  await initBackend(config.backend);
  const baseDir = config.model.base ?? saved.base.dir;
  if (!baseDir)
    throw new UserError(
      `${o.run} is a finetune run whose tuned base was not kept (eval.finetune.keepBases lists the rows that keep theirs, first seed only)`,
    );
  const base = loadBaseModel(baseDir);
  if (base.config.hidden !== saved.base.hidden) {
    throw new UserError(
      `${o.run} was trained on ${saved.base.name} (hidden ${saved.base.hidden}); the base model ${base.name} has hidden ${base.config.hidden}`,
    );
  }
  const components = resolveComponents(saved.row.components, base);
  const maxLength = Math.min(config.model.maxLength, base.maxLength);
  const skipped: Record<string, number> = {};
  const examples = encodeTaskFile(o.task, o.test, base.tokenizer, maxLength, skipped);
  if (examples.length === 0) throw new UserError(`${o.test}: no example could be encoded (${JSON.stringify(skipped)})`);
  const unseen = unseenLabels(examples, saved.labels);
  const pooled = await poolFeatures(base, components, examples, 'features');
  const spec = taskLayerSpec(saved.task, saved.labels, saved.row);
  const out = await predictWithTaskLayers(spec, weights, base.config.hidden, pooledSource(examples, pooled));
  const metrics = scoreTask(o.task, saved.labels, examples, out);
  const combine = saved.row.combine === 'none' ? null : saved.row.combine;
  process.stdout.write(
    `${JSON.stringify({ run: o.run, task: o.task, test: o.test, row: saved.row.label, combine, base: base.name, examples: examples.length, skipped, unseenLabels: unseen, metrics }, null, 2)}\n`,
  );
}
