// Stage `evaluate`: do the knowledge adapters help downstream?
//   inputs   the base; runs/{factual,linguistic}/seed-N/adapter (the first adapter seed);
//            runs/multitask/seed-N/model when trained; each task's downstream sets (eval.sets:
//            built — kg, ner, kbp — or a user's folders; src/eval/sets.ts)
//   steps    the rows (src/eval/rows.ts) → per task and set (src/eval/set-outcome.ts): encode
//            train/dev/test (counted skips; dev/test sentences seen in adapter pre-training
//            dropped; a set not built or with an empty split is recorded as not evaluated, and the
//            others go on) → the whole matrix on it (src/eval/evaluate-set.ts): the rows' vectors,
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
import { OTHER_WRITERS, runsDir, reportsDir } from '../src/data/layout.ts';
import { LOCK_FILE, tryLock, waitForLock, type Lock } from '../src/util/lock.ts';
import type { LoadedAdapter } from '../src/methods/files.ts';
import { describeBackend, initBackend } from '../src/kadapter/backend.ts';
import { loadBaseModel } from '../src/kadapter/base-model.ts';
import { resolveBaseModelDir } from '../src/kadapter/model-fetch.ts';
import { resolveComponents, trainedAdapters } from '../src/eval/components.ts';
import { describeLeaks, findLeaks } from '../src/eval/leakage.ts';
import { pretrainingSentences } from '../src/eval/downstream-data.ts';
import { hasCurve, type SetContext } from '../src/eval/evaluate-set.ts';
import { rowChart, curveChart, renderPlot } from '../src/eval/plots.ts';
import { writeReport, type Results } from '../src/eval/report.ts';
import { mainRows } from '../src/eval/rows.ts';
import { downstreamSets, type DownstreamSet } from '../src/eval/sets.ts';
import { evaluateOrReadBack, setRunsDir, type SetOutcome } from '../src/eval/set-outcome.ts';

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

/** `--force`: everything evaluate wrote, not the folders of other writers nor the held lock. */
function clearOwnOutputs(out: string): void {
  if (!fs.existsSync(out)) return;
  const keep = new Set<string>([...OTHER_WRITERS, LOCK_FILE]);
  for (const entry of fs.readdirSync(out))
    if (!keep.has(entry)) fs.rmSync(path.join(out, entry), { recursive: true, force: true });
}
