// The verified test sets (datasets/verified/<task>/): build test examples judged by a person who
// read the sentence and never a model's prediction. Each judged example has a verdict: `keep` the
// automatic label, `correct` it, or `drop` the example. A verified example's input is the build's
// own test example (same id, same text), so a row's prediction on it is the prediction already
// made on that example: scoring a row on a verified set reads its runs' test predictions against
// the verified gold, and no model runs again. A verdict whose example the evaluated test sample no
// longer holds is counted, never silently lost.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { downstreamTask, type SetProvenance } from '../tasks/downstream/index.ts';
import type { Comparison, RowResult, SetNoise, VerifiedResult } from './results-schema.ts';
import { TaskLayersFile } from '../data/composition.ts';
import type { EntityTypingExample, RelationExample } from '../data/schemas.ts';
import { UserError } from '../util/errors.ts';
import { readJsonFile } from '../util/json-file.ts';
import { meanStd } from '../util/metrics.ts';
import { repoRoot } from '../util/paths.ts';
import { compareRows, type TestOutputs } from './matrix.ts';
import { mainMetricCounts, scoreTask } from './score.ts';
import { runFolder } from './rows.ts';

export const VERIFIED_DIR = path.join(repoRoot, 'datasets', 'verified');

const Label = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** A row of `<task>/sheet.jsonl`: what the judge was shown. */
export const SheetRow = z.strictObject({
  n: z.number().int().min(1),
  id: z.string().min(1),
  sentence_id: z.string().min(1),
  source: z.string(),
  shown: z.string(),
  auto: Label,
});
export type SheetRow = z.infer<typeof SheetRow>;

/** A row of `<task>/verdicts.jsonl`: one judged example. */
export const Verdict = z
  .strictObject({
    id: z.string().min(1),
    verdict: z.enum(['keep', 'correct', 'drop']),
    /** The right label, for `correct`: the relation, or the type labels. */
    gold: Label.optional(),
    reason: z.string().min(1).optional(),
  })
  .refine((v) => (v.verdict === 'correct') === (v.gold !== undefined), 'a `correct` verdict, and only it, has `gold`')
  .refine((v) => v.verdict === 'keep' || v.reason !== undefined, '`correct` and `drop` give a reason');
export type Verdict = z.infer<typeof Verdict>;

/** A task's verified set: the verified gold by example id, and the verdicts' counts. */
export interface VerifiedSet {
  /** The task's name (src/tasks/downstream). */
  task: string;
  dir: string;
  gold: Map<string, string[]>;
  /** The automatic label of each kept or corrected example, for the same examples scored both ways. */
  auto: Map<string, string[]>;
  counts: { judged: number; keep: number; correct: number; drop: number };
}

const asList = (l: string | string[]) => (typeof l === 'string' ? [l] : [...l].sort());

function readLines<S extends z.ZodType>(file: string, schema: S): z.output<S>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const r = schema.safeParse(JSON.parse(l));
      if (!r.success) throw new UserError(`${file}:${i + 1}: ${r.error.issues.map((x) => x.message).join('; ')}`);
      return r.data;
    });
}

/** The verified set of a task, or null when none is committed. Every sheet row must have one verdict. */
export function loadVerifiedSet(task: string, dir = path.join(VERIFIED_DIR, task)): VerifiedSet | null {
  const sheetFile = path.join(dir, 'sheet.jsonl');
  const verdictFile = path.join(dir, 'verdicts.jsonl');
  if (!fs.existsSync(sheetFile) || !fs.existsSync(verdictFile)) return null;
  const sheet = new Map(readLines(sheetFile, SheetRow).map((r) => [r.id, r]));
  const verdicts = readLines(verdictFile, Verdict);
  const seen = new Set<string>();
  const set: VerifiedSet = {
    task,
    dir,
    gold: new Map(),
    auto: new Map(),
    counts: { judged: 0, keep: 0, correct: 0, drop: 0 },
  };
  for (const v of verdicts) {
    const row = sheet.get(v.id);
    if (!row) throw new UserError(`${verdictFile}: a verdict for ${v.id}, which ${sheetFile} does not show`);
    if (seen.has(v.id)) throw new UserError(`${verdictFile}: two verdicts for ${v.id}`);
    seen.add(v.id);
    set.counts.judged++;
    set.counts[v.verdict]++;
    if (v.verdict === 'drop') continue;
    set.auto.set(v.id, asList(row.auto));
    set.gold.set(v.id, asList(v.verdict === 'correct' ? v.gold! : row.auto));
  }
  const unjudged = [...sheet.keys()].filter((id) => !seen.has(id));
  if (unjudged.length)
    throw new UserError(`${verdictFile}: ${unjudged.length} sheet rows have no verdict (first: ${unjudged[0]})`);
  return set;
}

/** A saved run's test predictions: id → its line of predictions-test.jsonl (the task reads its prediction from it). */
interface RunPredictions {
  labels: string[];
  byId: Map<string, Record<string, unknown>>;
}

const PredictionLine = z.looseObject({ id: z.string() });

/** The labels of a run's task_layers_config.json, all that is read here (run-files.ts checks the whole file where it loads a run). */
const RunLabels = z.looseObject({ labels: TaskLayersFile.shape.labels });

function readRun(runDir: string): RunPredictions {
  const config = readJsonFile(path.join(runDir, 'task-layers', 'task_layers_config.json'), RunLabels);
  const byId = new Map<string, Record<string, unknown>>();
  for (const p of readLines(path.join(runDir, 'predictions-test.jsonl'), PredictionLine)) byId.set(p.id, p);
  return { labels: config.labels, byId };
}

/** The folder of run `s` of a row. */
const runDirOf = (taskRuns: string, key: string, s: RowResult['perSeed'][number]) =>
  path.join(taskRuns, key, runFolder(s, s.seed));

/** The references F+L is set against in the main table and on the verified sets, by row key. */
export const referenceKeys = (combine: string | undefined): string[] => [
  'base',
  `random-${combine}`,
  `layers-${combine}`,
  `mix-${combine}`,
  'multitask',
  `multitask-layers-${combine}`,
];

/**
 * Every row of a task scored on its verified set from the runs' saved test predictions, with
 * the same paired bootstrap of F+L against the references as the main table.
 */
export function scoreVerified(o: {
  set: VerifiedSet;
  /** reports/<profile>/runs/<set key>: <task> or <task>@<set>. */
  taskRuns: string;
  rows: RowResult[];
  metric: string;
  chosenCombine: string | null;
  references: string[];
  samples: number;
}): VerifiedResult {
  const { set } = o;
  const task = downstreamTask(set.task);
  const runs = new Map(o.rows.map((r) => [r.key, r.perSeed.map((s) => readRun(runDirOf(o.taskRuns, r.key, s)))]));
  const first = runs.values().next().value?.[0];
  if (!first) throw new Error(`no runs of ${set.task} to score on its verified set`);
  // The examples every run predicted: the evaluated test sample (the same for all rows and seeds).
  const ids = [...set.gold.keys()].filter((id) => first.byId.has(id));
  const missing = set.gold.size - ids.length;
  const { judged, keep, correct, drop } = set.counts;
  const summary = {
    set: path.relative(repoRoot, set.dir),
    judged,
    keep,
    correct,
    drop,
    notInTestSample: missing,
    examples: ids.length,
    agreement: keep / Math.max(keep + correct, 1),
  };
  // Another build (the smoke profile, a changed sample) may hold none of them: nothing to score.
  if (ids.length === 0) return { ...summary, rows: [], bootstrap: {} };
  const verifiedGold = ids.map((id) => ({ gold: set.gold.get(id)! }));
  const autoGold = ids.map((id) => ({ gold: set.auto.get(id)! }));
  const outputsOf = (run: RunPredictions) => ids.map((id) => task.readPrediction(run.byId.get(id)!));
  const testOutputs: TestOutputs = new Map();
  const rows = o.rows.map((r) => {
    const outs = runs.get(r.key)!.map((run) => {
      const missingHere = ids.filter((id) => !run.byId.has(id));
      if (missingHere.length) throw new UserError(`${r.key}: a run has no prediction for ${missingHere[0]}`);
      return { labels: run.labels, out: outputsOf(run) };
    });
    testOutputs.set(
      r.key,
      outs.map((x) => x.out),
    );
    const score = (gold: { gold: string[] }[]) =>
      meanStd(outs.map((x) => scoreTask(set.task, x.labels, gold, x.out)[o.metric]!));
    return { key: r.key, verified: score(verifiedGold), automatic: score(autoGold) };
  });
  const labels = first.labels;
  const fl = o.chosenCombine ? o.rows.find((r) => r.row === 'FL' && r.combine === o.chosenCombine) : undefined;
  const bootstrap: Record<string, Comparison> = fl
    ? compareRows({
        target: fl.key,
        references: o.references,
        testOutputs,
        counts: (out) => mainMetricCounts(set.task, labels, verifiedGold, out),
        n: ids.length,
        samples: o.samples,
      })
    : {};
  return { ...summary, rows, bootstrap };
}

/** The relation example as shown to the judge: [[subject]] and <<object>> in the words. */
export function markRelation(r: RelationExample): string {
  return r.token
    .map((w, i) => {
      let out = w;
      if (i === r.subj_start) out = `[[${out}`;
      if (i === r.obj_start) out = `<<${out}`;
      if (i === r.subj_end) out = `${out}]]`;
      if (i === r.obj_end) out = `${out}>>`;
      return out;
    })
    .join(' ');
}

/** The typing example as shown to the judge: the mention in [[ ]] (offsets in code points). */
export function markMention(r: EntityTypingExample): string {
  const cps = [...r.sent];
  return `${cps.slice(0, r.start).join('')}[[${cps.slice(r.start, r.end).join('')}]]${cps.slice(r.end).join('')}`;
}

/**
 * The verified sets judge the knowledge graph's sets (the build's own test examples), no other: a
 * task's is datasets/verified/<task> where one is committed.
 */
const judges = (provenance: SetProvenance) => provenance === 'kg-distant-supervision';

/**
 * The label noise to expect of a set: measured for the knowledge graph's sets, from the verdicts
 * of their verified set (the default build's test examples); no other set has been judged.
 */
export function expectedNoise(task: string, provenance: SetProvenance): SetNoise {
  const verified = judges(provenance) ? loadVerifiedSet(task) : null;
  if (!verified) return { measured: false };
  const { judged, keep, correct, drop } = verified.counts;
  return {
    measured: true,
    mislabelled: correct / Math.max(keep + correct, 1),
    dropped: drop / Math.max(judged, 1),
    judged,
    by: path.relative(repoRoot, verified.dir),
  };
}

/**
 * A set's rows on its task's committed verified set, read from the runs under
 * `<reportsDir>/runs/<key>`; undefined for a set the verified set does not judge, or none committed.
 */
export function verifiedResult(
  config: Config,
  set: { task: string; provenance: SetProvenance; key: string },
  reportsDir: string,
  rows: RowResult[],
  chosenCombine: string | null,
): VerifiedResult | undefined {
  const { task } = set;
  if (!judges(set.provenance)) return undefined;
  const verified = loadVerifiedSet(task);
  if (!verified) return undefined;
  return scoreVerified({
    set: verified,
    taskRuns: path.join(reportsDir, 'runs', set.key),
    rows,
    metric: downstreamTask(task).mainMetric,
    chosenCombine,
    references: referenceKeys(chosenCombine ?? undefined),
    samples: config.eval.bootstrapSamples,
  });
}
