// One downstream set's outcome under evaluate: not evaluated (not built, or an empty split), read
// back (its kept result, src/eval/set-resume.ts, when its data, rows, components and settings are
// unchanged — kept earlier, or in this run by the process beside), or evaluated and kept.
import path from 'node:path';
import { describeBackend, type BackendChoice } from '../kadapter/backend.ts';
import { baseWeightsSha256, type BaseModel } from '../kadapter/base-model.ts';
import { loadSetData, maxTrainOf, type pretrainingSentences } from './downstream-data.ts';
import { evaluateSet, type SetContext } from './evaluate-set.ts';
import type { Results, TaskResult } from './report.ts';
import type { DownstreamSet } from './sets.ts';
import { forgetSetResult, keptSince, readSetResult, setFingerprint, writeSetResult } from './set-resume.ts';
import { expectedNoise, verifiedResult } from './verified.ts';

export type SetOutcome =
  | { kind: 'evaluated' | 'read back' | 'beside'; result: TaskResult }
  | { kind: 'not evaluated'; notEvaluated: Results['notEvaluated'][string] };

/** Where a set's runs, its kept result and its claim lie: <reports>/runs/<set key>. */
export const setRunsDir = (out: string, set: DownstreamSet) => path.join(out, 'runs', set.key);

/** One set: its data, then its kept result when its inputs are unchanged, else the whole matrix on it (kept when done). */
export async function evaluateOrReadBack(
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
    frozen ? maxTrainOf(config, task) : (config.eval.finetune.maxTrain ?? maxTrainOf(config, task)),
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
