// dependency/plan.jsonl and plan.meta.json: the sentences chosen to parse (src/parsing/collect.ts),
// collected once for the parse inputs and read back by a resumed build. plan.meta.json, written
// after the plan, says the plan is complete and for which inputs.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { readJsonFileIfExists } from '../util/json-file.ts';
import { writeFileAtomic, writeJsonlAtomic } from '../util/jsonl.ts';
import { progress } from '../util/progress.ts';
import { collectSentences, PlanMeta } from './collect.ts';
import type { CoreNlpPool } from './corenlp-pool.ts';
import type { SentenceSource } from './sources/types.ts';

export const PLAN_FILE = 'plan.jsonl';
const PLAN_META_FILE = 'plan.meta.json';

/** Whether `dir` holds a complete plan for these parse inputs. */
export function hasPlanFor(dir: string, parseHash: string): boolean {
  return readJsonFileIfExists(path.join(dir, PLAN_META_FILE), PlanMeta)?.inputsHash === parseHash;
}

/** The plan in `dir`: read back when complete, else collected from the sources and written. */
export async function readOrMakePlan(
  dir: string,
  opts: {
    sources: SentenceSource[];
    pool: CoreNlpPool;
    data: Pick<Config['data'], 'sentences' | 'minWords' | 'maxWords' | 'maxChars'>;
    parseHash: string;
    log: (line: string) => void;
  },
): Promise<PlanMeta> {
  const { data, log } = opts;
  const planFile = path.join(dir, PLAN_FILE);
  const planMetaFile = path.join(dir, PLAN_META_FILE);
  let meta = readJsonFileIfExists(planMetaFile, PlanMeta);
  if (!meta || !fs.existsSync(planFile)) {
    const t0 = performance.now();
    const bar = progress('collect', 0, 'records');
    const { planned, counts } = await collectSentences(opts.sources, opts.pool, {
      target: data.sentences,
      bounds: { minWords: data.minWords, maxWords: data.maxWords, maxChars: data.maxChars },
      onProgress: (n) => bar.update(n),
    });
    bar.stop();
    writeJsonlAtomic(planFile, planned);
    meta = { inputsHash: opts.parseHash, sentences: planned.length, counts, seconds: (performance.now() - t0) / 1000 };
    writeFileAtomic(planMetaFile, `${JSON.stringify(meta, null, 2)}\n`);
    log(`plan: ${planned.length} sentences chosen in ${meta.seconds.toFixed(0)} s`);
    if (planned.length < data.sentences) {
      log(`plan: the sources hold only ${planned.length} usable sentences of the ${data.sentences} asked for`);
    }
  }
  return meta;
}
