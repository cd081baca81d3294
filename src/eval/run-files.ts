// A row's run on disk: runs/<task>[@<set>]/<row key>/seed-N/ holds the test predictions (id, then
// the task's fields: gold, and the prediction or the logits), the metrics, and the task layers with the row they were trained on, so that
// `evaluate --run` can score any file with them. Paths are relative to the run's folder.
import fs from 'node:fs';
import path from 'node:path';
import { TASK_LAYERS_FORMAT, TaskLayersFile, type Row } from '../data/composition.ts';
import { openSafetensors, writeSafetensors } from '../kadapter/safetensors.ts';
import { UserError } from '../util/errors.ts';
import { readJsonFile } from '../util/json-file.ts';
import { downstreamTask, type TaskExample } from '../tasks/downstream/index.ts';
import type { Scores } from './score.ts';
import { relativeRow, resolvedRow } from './rows.ts';
import type { TaskLayerRun, TaskLayerSpec } from './task-layers.ts';

const TASK_LAYERS_DIR = 'task-layers';
const CONFIG_FILE = 'task_layers_config.json';
const WEIGHTS_FILE = 'task_layers.safetensors';

export function saveRowRun(
  dir: string,
  o: {
    spec: TaskLayerSpec;
    row: Row;
    run: TaskLayerRun;
    test: Scores;
    examples: TaskExample[];
    base: { dir: string | null; name: string; hidden: number };
  },
): void {
  fs.mkdirSync(path.join(dir, TASK_LAYERS_DIR), { recursive: true });
  const task = downstreamTask(o.spec.task);
  const preds = o.examples.map((e, i) => ({ id: e.id, ...task.predictionLine(e, o.run.test[i]) }));
  fs.writeFileSync(path.join(dir, 'predictions-test.jsonl'), preds.map((p) => `${JSON.stringify(p)}\n`).join(''));
  fs.writeFileSync(
    path.join(dir, 'metrics.json'),
    `${JSON.stringify({ test: o.test, bestEpoch: o.run.bestEpoch, devByEpoch: o.run.devByEpoch, seconds: o.run.seconds }, null, 2)}\n`,
  );
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const [n, t] of Object.entries(o.run.weights)) tensors[n] = { dtype: 'F32', shape: t.shape, data: t.data };
  writeSafetensors(path.join(dir, TASK_LAYERS_DIR, WEIGHTS_FILE), tensors);
  const file: TaskLayersFile = {
    format: TASK_LAYERS_FORMAT,
    task: o.spec.task,
    labels: o.spec.labels,
    row: relativeRow(o.row, dir),
    base: { ...o.base, dir: o.base.dir === null ? null : path.relative(dir, o.base.dir) || '.' },
  };
  fs.writeFileSync(path.join(dir, TASK_LAYERS_DIR, CONFIG_FILE), `${JSON.stringify(file, null, 2)}\n`);
}

/** A saved run: its config with folders resolved, and its task layers' weights by name. */
export function loadRowRun(runDir: string): { file: TaskLayersFile; weights: Record<string, Float32Array> } {
  const file = path.join(runDir, TASK_LAYERS_DIR, CONFIG_FILE);
  if (!fs.existsSync(file)) {
    throw new UserError(
      `${runDir}: not a row run (no ${TASK_LAYERS_DIR}/${CONFIG_FILE}); runs are under reports/<profile>/runs/<task>[@<set>]/<row>/seed-N`,
    );
  }
  const saved = readJsonFile(file, TaskLayersFile);
  const st = openSafetensors(path.join(runDir, TASK_LAYERS_DIR, WEIGHTS_FILE));
  const weights = Object.fromEntries([...st.tensors.keys()].map((n) => [n, st.read(n)]));
  return {
    file: {
      ...saved,
      row: resolvedRow(saved.row, runDir),
      base: { ...saved.base, dir: saved.base.dir === null ? null : path.resolve(runDir, saved.base.dir) },
    },
    weights,
  };
}
