// From a CoreNLP sentence to a dependency example, and the structural checks every example
// passes before it is written: one root, heads in range, no cycles.
import type { DependencyExample } from '../data/schemas.ts';
import { codePointIndex } from '../util/codepoints.ts';
import type { CoreNlpSentence } from './corenlp-client.ts';

/** Why an example is not a tree, or null when it is one. */
export function treeProblem(heads: number[]): string | null {
  const n = heads.length;
  if (n === 0) return 'no words';
  let roots = 0;
  for (const h of heads) {
    if (!Number.isInteger(h) || h < 0 || h > n) return `head ${h} out of range 0..${n}`;
    if (h === 0) roots++;
  }
  if (roots !== 1) return `${roots} roots`;
  // Walk up from every word; a walk longer than n steps has entered a cycle.
  for (let i = 1; i <= n; i++) {
    let node = i;
    for (let steps = 0; node !== 0; steps++) {
      if (steps > n) return `cycle through word ${i}`;
      node = heads[node - 1]!;
    }
  }
  return null;
}

export interface Converted {
  tokens: string[];
  offsets: [number, number][];
  heads: number[];
  deprels: string[];
  pos: string[];
}

/**
 * Reads tokens (surface forms), their spans relative to `base`, and basic dependencies.
 * Throws when the parse is not a single well-formed tree over the tokens.
 */
export function fromCoreNlp(sentence: CoreNlpSentence, base: number): Converted {
  const n = sentence.tokens.length;
  const heads = new Array<number>(n).fill(-1);
  const deprels = new Array<string>(n).fill('');
  for (const d of sentence.basicDependencies ?? []) {
    if (d.dependent < 1 || d.dependent > n) throw new Error(`dependent ${d.dependent} out of range`);
    if (heads[d.dependent - 1] !== -1) throw new Error(`word ${d.dependent} has two heads`);
    heads[d.dependent - 1] = d.governor;
    deprels[d.dependent - 1] = d.dep === 'ROOT' ? 'root' : d.dep;
  }
  if (heads.includes(-1)) throw new Error(`word ${heads.indexOf(-1) + 1} has no head`);
  const problem = treeProblem(heads);
  if (problem) throw new Error(`not a tree: ${problem}`);
  return {
    tokens: sentence.tokens.map((t) => t.originalText),
    offsets: sentence.tokens.map((t) => [t.characterOffsetBegin - base, t.characterOffsetEnd - base]),
    heads,
    deprels,
    pos: sentence.tokens.map((t) => t.pos ?? ''),
  };
}

/** Full check of an example about to be written. */
export function exampleProblem(ex: DependencyExample): string | null {
  const n = ex.tokens.length;
  for (const [name, arr] of [
    ['heads', ex.heads],
    ['deprels', ex.deprels],
    ['pos', ex.pos],
    ['offsets', ex.offsets],
  ] as const) {
    if (arr.length !== n) return `${name} has ${arr.length} entries for ${n} tokens`;
  }
  if (ex.gold_pos && ex.gold_pos.length !== n) return `gold_pos has ${ex.gold_pos.length} entries for ${n} tokens`;
  // The exports count code points: a span that cuts a surrogate pair has no code-point offsets.
  const points = codePointIndex(ex.text);
  for (let i = 0; i < n; i++) {
    const [s, e] = ex.offsets[i]!;
    if (ex.text.slice(s, e) !== ex.tokens[i])
      return `token ${i + 1} "${ex.tokens[i]}" is not at ${s}..${e} of the text`;
    if (points.toCodePoint(s) === null || points.toCodePoint(e) === null)
      return `token ${i + 1} at ${s}..${e} cuts a character of the text in two`;
  }
  return treeProblem(ex.heads);
}
