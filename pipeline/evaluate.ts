// Stage `evaluate`: do the knowledge adapters help downstream?
//   inputs   the base; runs/{factual,linguistic}/seed-N/adapter (the first adapter seed);
//            runs/multitask/seed-N/model when trained; each task's downstream sets (eval.sets:
//            built — kg, ner, kbp — or a user's folders; src/eval/sets.ts)
//   steps    the rows (src/eval/rows.ts) → per task and set: encode train/dev/test (counted skips;
//            dev/test sentences seen in adapter pre-training dropped; a set not built or with an
//            empty split is recorded as not evaluated, and the others go on) → the rows' vectors:
//            under `frozen` pooled once per base and component (kept in <build>/pooled/, which
//            ablate reads too), under `finetune` live through a fresh trainable copy of the base per
//            run → per row × seed: task layers (and the base, finetune), best dev epoch, test →
//            relation data-efficiency curve (first relation set) → paired bootstrap F+L − each
//            control → the kg sets on their verified sets → report. A set is kept when it
//            finishes (runs/<set key>/set-result.json, src/eval/set-resume.ts): a rerun reads back
//            each set whose data, rows, components and settings are unchanged
//   outputs  reports/<profile>/{results.json, report.md, *.png, *.svg}            (frozen)
//            reports/<profile>/finetune/…                                         (finetune)
//            …/runs/<set key>/<row>/seed-N/{predictions-test.jsonl, metrics.json, task-layers/[, base/]}
//            where a set's key is its task for the task's first set, `<task>@<set>` for the others
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../src/config/schema.ts';
import { OTHER_WRITERS, pooledCacheDir, runsDir, reportsDir } from '../src/data/layout.ts';
import { LOCK_FILE, tryLock, waitForLock, type Lock } from '../src/util/lock.ts';
import type { LoadedAdapter } from '../src/kadapter/adapter-files.ts';
import { describeBackend, initBackend, type BackendChoice } from '../src/kadapter/backend.ts';
import { baseWeightsSha256, loadBaseModel, type BaseModel } from '../src/kadapter/base-model.ts';
import { resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';
import { resolveComponents, trainedAdapters, type ComponentVectors } from '../src/eval/components.ts';
import { describeLeaks, findLeaks } from '../src/eval/leakage.ts';
import { loadSetData, pretrainingSentences, type DownstreamData } from '../src/eval/downstream-data.ts';
import {
  bestBeforeLast,
  chosenOnDev,
  compareRows,
  relationEfficiency,
  runRows,
  type MatrixOptions,
} from '../src/eval/matrix.ts';
import { rowChart, curveChart, renderPlot } from '../src/eval/plots.ts';
import { finetuneTrainer, frozenTrainer, pooledSplits, type RowTrainer, type Score } from '../src/eval/protocols.ts';
import { writeReport, type Results, type TaskResult } from '../src/eval/report.ts';
import { mainRows } from '../src/eval/rows.ts';
import { MAIN_METRIC, mainMetricCounts, scoreTask } from '../src/eval/score.ts';
import { downstreamSets, type DownstreamSet } from '../src/eval/sets.ts';
import { forgetSetResult, keptSince, readSetResult, setFingerprint, writeSetResult } from '../src/eval/set-resume.ts';
import { expectedNoise, referenceKeys, verifiedResult } from '../src/eval/verified.ts';
import type { Row } from '../src/data/composition.ts';

/**
 * `helper`: a second evaluate process beside the first (pipeline/beside.ts): it evaluates the sets
 * the first has not claimed, from the end of the list, keeps their results and writes no report.
 */
export async function runEvaluateStage(config: Config, opts: { force: boolean; helper?: boolean }): Promise<void> {
  const started = Date.now();
  const protocol = config.eval.protocol;
  const backend = await initBackend(config.backend);
  process.stderr.write(`kadapter: backend ${describeBackend(backend)}; protocol ${protocol}\n`);
  const base = loadBaseModel(resolveBaseModelDir(config));
  const folders = new Map<string, LoadedAdapter>();
  const adapters = trainedAdapters(config, base, folders);
  const mtDir = path.join(runsDir(config), 'multitask', `seed-${config.adapters.seeds[0]!}`, 'model');
  const multitask = fs.existsSync(path.join(mtDir, 'model.safetensors')) ? loadBaseModel(mtDir) : null;
  if (!multitask)
    process.stderr.write(
      `kadapter: no multi-task baseline in ${mtDir}: its row is left out (train it with --adapter multitask)\n`,
    );
  const models = { base, multitask };
  const frozen = protocol === 'frozen';
  // Under finetune every run trains a copy of the base: `eval.finetune.replicates` may cap the replicates.
  const most = frozen ? null : config.eval.finetune.replicates;
  const rows = mainRows({
    ...adapters,
    randomDraws: config.eval.randomDraws,
    baseLayers: base.config.layers,
    combines: config.eval.combines,
    multitask: multitask !== null,
  }).filter((r) => most === null || (r.replicate ?? 1) <= most);

  const seen = await pretrainingSentences(config);
  // The built data, checked on ids: no evaluated dev/test sentence in anything trained.
  const leaks = await findLeaks(config);
  const leakage = { leaks: leaks.leaks.length, lines: describeLeaks(leaks) };
  for (const line of leakage.lines) process.stderr.write(`kadapter: leakage check: ${line}\n`);
  const out = reportsDir(config);
  if (opts.force) clearOwnOutputs(out);
  fs.mkdirSync(out, { recursive: true });
  const epochs = frozen ? config.eval.epochs : config.eval.finetune.epochs;
  const seeds = frozen ? config.eval.seeds : (config.eval.finetune.seeds ?? config.eval.seeds);
  const results: Results = {
    profile: config.profile,
    protocol,
    base: { name: base.name, parameters: base.parameters, layers: base.config.layers, hidden: base.config.hidden },
    backend: describeBackend(backend),
    adapters: adapters.loaded,
    seeds,
    replicateSeeds: config.eval.replicateSeeds,
    tasks: {},
    notEvaluated: {},
    leakage,
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    seconds: 0,
  };

  // What every row's components compute, per base: resolved once (random draws initialised once) for all sets.
  const componentsOf = (which: 'base' | 'multitask') =>
    resolveComponents(
      rows.filter((r) => r.base === which).flatMap((r) => r.components),
      base,
      folders,
    );
  const components = { base: componentsOf('base'), multitask: componentsOf('multitask') };
  const ctx: SetContext = { config, rows, components, models, out, epochs, seeds, refresh: opts.force, started };
  const sets = config.eval.tasks.flatMap((task) => downstreamSets(config, task));
  const done = new Map<string, SetOutcome>();
  const evaluateHolding = async (set: DownstreamSet, claim: Lock) => {
    try {
      done.set(set.key, await evaluateOrReadBack(ctx, set, seen, multitask, backend));
    } finally {
      claim.release();
    }
  };
  // Sets are claimed one at a time (runs/<set key>/.lock), so that a helper process beside this one
  // (`pipeline`, once ablate is done) takes sets from the end of the list while this one works from
  // the start, the set with the data-efficiency curve first (the longest: last, it would end the
  // stage on one core); a set the other holds is taken up last, read back once the other has kept it.
  const claimOf = (set: DownstreamSet) => ({ what: `set ${set.key}` });
  const curveFirst = [...sets.filter(hasCurve), ...sets.filter((s) => !hasCurve(s))];
  const heldByOther: DownstreamSet[] = [];
  for (const set of opts.helper ? [...sets].reverse() : curveFirst) {
    const claim = tryLock(setRunsDir(out, set), claimOf(set));
    if (claim) await evaluateHolding(set, claim);
    else heldByOther.push(set);
  }
  if (opts.helper) return;
  for (const set of heldByOther) {
    process.stderr.write(`kadapter: ${set.key}: evaluated by the process beside; waiting for its result\n`);
    await evaluateHolding(set, await waitForLock(setRunsDir(out, set), claimOf(set)));
  }
  for (const set of sets) {
    const o = done.get(set.key)!;
    if (o.kind === 'not evaluated') {
      results.notEvaluated[set.key] = o.notEvaluated;
      continue;
    }
    results.tasks[set.key] = o.result;
    if (o.kind === 'read back') results.readBack = [...(results.readBack ?? []), set.key];
    if (o.kind === 'beside') results.evaluatedBeside = [...(results.evaluatedBeside ?? []), set.key];
  }
  results.finishedAt = new Date().toISOString();
  results.seconds = (Date.now() - started) / 1000;
  await writeReport(out, results, { rowChart, curveChart, renderPlot });
  process.stdout.write(`${fs.readFileSync(path.join(out, 'report.md'), 'utf8')}\n`);
}

type SetOutcome =
  | { kind: 'evaluated' | 'read back' | 'beside'; result: TaskResult }
  | { kind: 'not evaluated'; notEvaluated: Results['notEvaluated'][string] };

const setRunsDir = (out: string, set: DownstreamSet) => path.join(out, 'runs', set.key);

/** The relation data-efficiency curve is drawn on the first relation set. */
const hasCurve = (set: DownstreamSet) => set.task === 'relation' && set.first;

/** One set: its data, then its kept result when its inputs are unchanged, else the whole matrix on it (kept when done). */
async function evaluateOrReadBack(
  ctx: SetContext,
  set: DownstreamSet,
  seen: Awaited<ReturnType<typeof pretrainingSentences>>,
  multitask: BaseModel | null,
  backend: BackendChoice,
): Promise<SetOutcome> {
  const { config, rows, components, out } = ctx;
  const { task } = set;
  const frozen = config.eval.protocol === 'frozen';
  const base = ctx.models.base!;
  const info = { name: set.name, provenance: set.provenance, noise: expectedNoise(task, set.provenance) };
  const loaded = await loadSetData(
    config,
    base,
    set,
    seen,
    frozen ? config.eval.maxTrain[task] : (config.eval.finetune.maxTrain ?? config.eval.maxTrain[task]),
  );
  if (!loaded.data) {
    process.stderr.write(`kadapter: ${set.key}: not evaluated: ${loaded.reason}\n`);
    return { kind: 'not evaluated', notEvaluated: { task, set: info, source: loaded.source, reason: loaded.reason } };
  }
  const { data } = loaded;
  process.stderr.write(
    `kadapter: ${set.key}: ${data.splits.train.length}/${data.splits.dev.length}/${data.splits.test.length} examples from ${data.source}; ${data.labels.length} labels; ` +
      `dropped as seen in adapter pre-training ${JSON.stringify(data.droppedAsSeenInPretraining)}; unseen test labels ${JSON.stringify(data.unseenTestLabels)}\n`,
  );
  // A set whose inputs are unchanged since a finished evaluation of it is read back, not recomputed.
  const runs = setRunsDir(out, set);
  const fingerprint = setFingerprint({
    settings: { ...config.eval, sets: undefined, tasks: undefined, ablate: undefined },
    protocol: config.eval.protocol,
    backend: describeBackend(backend),
    rows,
    components: Object.fromEntries(Object.entries(components).map(([b, cs]) => [b, cs.map((c) => c.identity)])),
    bases: { base: baseWeightsSha256(base), multitask: multitask ? baseWeightsSha256(multitask) : null },
    labels: data.labels,
    splits: data.splits,
  });
  const kept = readSetResult(runs, fingerprint);
  if (kept) {
    // Kept since this run started: the helper beside evaluated it, in this run.
    const beside = keptSince(runs, ctx.started);
    process.stderr.write(
      beside
        ? `kadapter: ${set.key}: evaluated in this run by the process beside: its result is read back\n`
        : `kadapter: ${set.key}: unchanged since its last evaluation: its result is read back\n`,
    );
    // The verified set is scored afresh from the kept runs: its judgements may have changed.
    const { verified: _, ...rest } = kept;
    const verified = verifiedResult(config, set, out, kept.rows, kept.chosenCombine);
    return { kind: beside ? 'beside' : 'read back', result: { ...rest, ...(verified ? { verified } : {}) } };
  }
  forgetSetResult(runs);
  const result: TaskResult = { task, set: info, ...(await evaluateSet(ctx, set, data)) };
  writeSetResult(runs, fingerprint, result);
  return { kind: 'evaluated', result };
}

/** `--force`: everything evaluate wrote, not the folders of other writers nor the held lock. */
function clearOwnOutputs(out: string): void {
  if (!fs.existsSync(out)) return;
  const keep = new Set<string>([...OTHER_WRITERS, LOCK_FILE]);
  for (const entry of fs.readdirSync(out))
    if (!keep.has(entry)) fs.rmSync(path.join(out, entry), { recursive: true, force: true });
}

/** What every set's evaluation shares: the rows, their resolved components, the bases, the schedule. */
interface SetContext {
  config: Config;
  rows: Row[];
  components: Record<Row['base'], ComponentVectors[]>;
  models: Record<Row['base'], BaseModel | null>;
  out: string;
  epochs: number;
  seeds: number[];
  /** --force: pool the vectors again. */
  refresh: boolean;
  /** When this evaluate started (ms): a set kept since then was evaluated beside it. */
  started: number;
}

/** The whole row matrix on one set: every row × seed, F+L against the references, the curve, the verified set. */
async function evaluateSet(
  ctx: SetContext,
  set: DownstreamSet,
  data: DownstreamData,
): Promise<Omit<TaskResult, 'task' | 'set'>> {
  const { config, rows, components, models, out } = ctx;
  const { task } = set;
  const frozen = config.eval.protocol === 'frozen';
  const main = MAIN_METRIC[task];
  const score: Score = (split, o, idx) => scoreTask(task, data.labels, data.splits[split], o, idx);
  const poolStarted = Date.now();
  const cache = { dir: pooledCacheDir(config), refresh: ctx.refresh };
  let trainer: RowTrainer;
  if (frozen) {
    trainer = frozenTrainer(
      config,
      {
        base: await pooledSplits(models.base!, components.base, data, `${set.key} base`, cache),
        multitask: models.multitask
          ? await pooledSplits(models.multitask, components.multitask, data, `${set.key} multitask`, cache)
          : null,
      },
      score,
      main,
    );
  } else trainer = finetuneTrainer(config, models, components.base, data, score, main);
  const poolSeconds = (Date.now() - poolStarted) / 1000;
  const matrix: MatrixOptions = {
    set,
    data,
    trainer,
    score,
    out,
    epochs: ctx.epochs,
    seeds: ctx.seeds,
    replicateSeeds: config.eval.replicateSeeds,
    models,
    keepBases: config.eval.finetune.keepBases,
  };
  const { results: rowResults, testOutputs } = await runRows(matrix, rows);
  // F+L's combination is chosen on dev; it is set against the base, the random control, the
  // layer-access controls and the multi-task base (paired bootstrap over test examples and runs).
  const fl = chosenOnDev(rowResults, 'FL', main);
  const bootstrap = fl
    ? compareRows({
        target: fl.key,
        references: referenceKeys(fl.combine),
        testOutputs,
        counts: (out) => mainMetricCounts(task, data.labels, data.splits.test, out),
        n: data.splits.test.length,
        samples: config.eval.bootstrapSamples,
      })
    : {};
  // The data-efficiency curve, on the first relation set: the plain-base rows with the first
  // combination, first replicate.
  const first = config.eval.combines[0]!;
  const curveRows = rows.filter(
    (r) =>
      r.base === 'base' && r.id !== 'mix' && (r.combine === 'none' || r.combine === first) && (r.replicate ?? 1) === 1,
  );
  const efficiency = hasCurve(set)
    ? await relationEfficiency(matrix, curveRows, config.eval.perRelation, rowResults)
    : [];
  const verified = verifiedResult(config, set, out, rowResults, fl?.combine ?? null);
  return {
    source: data.source,
    metric: main,
    labels: data.labels.length,
    examples: { train: data.splits.train.length, dev: data.splits.dev.length, test: data.splits.test.length },
    skipped: data.skipped,
    droppedAsSeenInPretraining: data.droppedAsSeenInPretraining,
    droppedBySource: data.droppedBySource,
    sourceMix: data.sourceMix,
    sampled: data.sampled,
    unseenTestLabels: data.unseenTestLabels,
    poolSeconds,
    rows: rowResults,
    chosenCombine: fl?.combine ?? null,
    bootstrap,
    bestBeforeLast: bestBeforeLast(rowResults),
    efficiency,
    ...(verified ? { verified } : {}),
  };
}
