// The leakage check, on sentence ids (SPEC §7: no downstream dev/test sentence id appears in anything
// that is trained). It reads the built data of a profile and lists, for every pair of an evaluated
// file and a trained file, the sentence ids they share (each downstream task names its files:
// src/tasks/downstream):
//   evaluated  relation/{dev,test}        facts/downstream/{dev,test}.jsonl       (sentence_id)
//              entity-typing/{dev,test}   facts/entity_typing/{dev,test}.jsonl    (sentence_id)
//              pos/{dev,test}             the Brown rows of dependency/{dev,test}-*.jsonl (id)
//              heldout/<set>/{dev,test}   heldout/{ner_typing,kbp_relation}/{dev,test}.jsonl (sentence_id)
//   trained    facts/train, facts/dev, dependency/train   what the adapters and the multi-task base
//                                                          read (src/tasks/knowledge pretrainingInputs)
//              relation/train, entity-typing/train,        the downstream task layers' data (the POS
//              heldout/<set>/train                         probe's train set is in dependency/train)
// Built rows without sentence_id cannot be checked and are counted. The rule that makes the answer
// empty is in src/data/splits.ts; the integration test pipeline/leakage.integration.test.ts and the
// evaluation's report both call findLeaks.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/schema.ts';
import { HELDOUT_SETS, heldoutSetDir, type HeldoutSet } from '../data/layout.ts';
import { pretrainingInputs } from '../tasks/knowledge/index.ts';
import { downstreamTask, downstreamTaskNames } from '../tasks/downstream/index.ts';
import { readJsonl } from '../util/jsonl.ts';

export interface Leak {
  evaluated: string;
  trained: string;
  /** The shared sentence ids, sorted. */
  ids: string[];
}

export interface LeakReport {
  /** Rows read per file label, evaluated and trained (a file not built is absent). */
  rows: Record<string, number>;
  /** Rows per evaluated file that carry no sentence_id (an older build): not checkable. */
  missingSentenceId: Record<string, number>;
  /** Only the pairs that share at least one id: empty when nothing leaks. */
  leaks: Leak[];
}

interface IdSource {
  label: string;
  /** The sentence ids of the file(s), one per row (undefined where a row has none). */
  ids: () => AsyncIterable<string | undefined>;
}

const WithSentenceId = z.looseObject({ sentence_id: z.string().optional() });
const DependencyId = z.looseObject({ id: z.string(), source: z.string() });

function sentenceIds(label: string, files: string[]): IdSource | null {
  const built = files.filter((f) => fs.existsSync(f));
  if (built.length === 0) return null;
  return {
    label,
    ids: async function* () {
      for (const f of built) for await (const r of readJsonl(f, WithSentenceId)) yield r.sentence_id;
    },
  };
}

function dependencyIds(label: string, files: string[], source?: string): IdSource | null {
  if (files.length === 0) return null;
  return {
    label,
    ids: async function* () {
      for (const f of files)
        for await (const r of readJsonl(f, DependencyId)) if (source === undefined || r.source === source) yield r.id;
    },
  };
}

const heldoutSets = Object.keys(HELDOUT_SETS) as HeldoutSet[];

const heldoutIds = (config: Config, set: HeldoutSet, split: string) =>
  sentenceIds(`heldout/${set}/${split}`, [path.join(heldoutSetDir(config, set), `${split}.jsonl`)]);

/** Each downstream task's files of a split, labelled `<task>/<split>`. */
const taskIds = (config: Config, split: 'train' | 'dev' | 'test') =>
  downstreamTaskNames().map((name) => {
    const files = downstreamTask(name).leakageFiles(config, split);
    const label = `${name}/${split}`;
    if (files === null) return null;
    return files.id === 'sentence_id'
      ? sentenceIds(label, files.files)
      : dependencyIds(label, files.files, files.source);
  });

/** The evaluated and the trained files of a profile's built data, as id sources. */
export function leakageFiles(config: Config): { evaluated: IdSource[]; trained: IdSource[] } {
  const evaluated: (IdSource | null)[] = [];
  for (const split of ['dev', 'test'] as const) {
    evaluated.push(...taskIds(config, split));
    for (const set of heldoutSets) evaluated.push(heldoutIds(config, set, split));
  }
  const trained: (IdSource | null)[] = [];
  const inputs = pretrainingInputs(config);
  for (const label of [...new Set(inputs.map((i) => i.label))]) {
    const files = inputs.filter((i) => i.label === label);
    trained.push({
      label,
      ids: async function* () {
        for (const { task, file } of files) for await (const s of task.sentences(file)) yield s.id;
      },
    });
  }
  trained.push(...taskIds(config, 'train'));
  for (const set of heldoutSets) trained.push(heldoutIds(config, set, 'train'));
  const built = (l: (IdSource | null)[]) => l.filter((s): s is IdSource => s !== null);
  return { evaluated: built(evaluated), trained: built(trained) };
}

/** Every evaluated id source against every trained one: the ids they share, per pair. */
export async function findLeaksIn(evaluated: IdSource[], trained: IdSource[]): Promise<LeakReport> {
  const rows: Record<string, number> = {};
  const missingSentenceId: Record<string, number> = {};
  // The evaluated sets are the small ones: hold them, stream the trained files past them.
  const owners = new Map<string, Set<string>>();
  for (const e of evaluated) {
    rows[e.label] = 0;
    for await (const id of e.ids()) {
      rows[e.label]!++;
      if (id === undefined) {
        missingSentenceId[e.label] = (missingSentenceId[e.label] ?? 0) + 1;
        continue;
      }
      let set = owners.get(id);
      if (!set) owners.set(id, (set = new Set()));
      set.add(e.label);
    }
  }
  const shared = new Map<string, Set<string>>();
  for (const t of trained) {
    rows[t.label] = 0;
    for await (const id of t.ids()) {
      rows[t.label]!++;
      if (id === undefined) continue;
      for (const e of owners.get(id) ?? []) {
        const key = `${e}\u0000${t.label}`;
        let set = shared.get(key);
        if (!set) shared.set(key, (set = new Set()));
        set.add(id);
      }
    }
  }
  const leaks = [...shared].map(([key, ids]) => {
    const [evaluatedLabel, trainedLabel] = key.split('\u0000') as [string, string];
    return { evaluated: evaluatedLabel, trained: trainedLabel, ids: [...ids].sort() };
  });
  const order = (l: Leak) => `${l.evaluated}\u0000${l.trained}`;
  leaks.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return { rows, missingSentenceId, leaks };
}

/** The leakage check of a profile's built data (see the top of this file). */
export async function findLeaks(config: Config): Promise<LeakReport> {
  const { evaluated, trained } = leakageFiles(config);
  return findLeaksIn(evaluated, trained);
}

/** One line per leaking pair (at most `show` ids each), or a line that says nothing leaks. */
export function describeLeaks(report: LeakReport, show = 5): string[] {
  const missing = Object.entries(report.missingSentenceId).map(
    ([file, n]) => `${file}: ${n} rows without sentence_id (rebuild the data: build-data --force)`,
  );
  if (report.leaks.length === 0) return [...missing, 'no evaluated sentence id is in any trained file'];
  return [
    ...missing,
    ...report.leaks.map(
      (l) =>
        `${l.evaluated} ∩ ${l.trained}: ${l.ids.length} sentence ids (${l.ids.slice(0, show).join(', ')}${l.ids.length > show ? ', …' : ''})`,
    ),
  ];
}
