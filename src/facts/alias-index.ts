// Finds entity mentions in tokenized sentences: the longest alias match at each position, left to
// right, with case rules that keep junk out — an acronym ("US") matches only in capitals, a proper
// name ("Turkey") only where the text is capitalised, a common noun ("turkey") only in lower case
// (or as the sentence's first word). Aliases that are function words or too short never match.
import type { KgEntity } from '../data/schemas.ts';

type Rule = 'exact' | 'capitalized' | 'lowercase';

interface Candidate {
  id: string;
  rule: Rule;
  /** The alias as written, tokens joined by one space. */
  alias: string;
}

export interface Mention {
  /** Inclusive token span. */
  start: number;
  end: number;
  ids: string[];
}

const STOPWORDS = new Set(
  (
    'a an the and or but if of in on at to for from by with as is are was were be been being am do does did have has had ' +
    'i me my we us our you your he him his she her it its they them their this that these those there here who whom whose ' +
    'which what when where why how all any both each few more most other some such no nor not only own same so than too very ' +
    'can will just should now one two may might must shall would could up down out off over under again further then once ' +
    'also about into through during before after above below between per via vs etc ie eg mr mrs ms dr st'
  ).split(' '),
);

export function aliasRule(alias: string): Rule | null {
  const text = alias.trim();
  if (text.length < 2 || !/\p{L}/u.test(text)) return null;
  if (/^[\p{Lu}\d&.-]{2,6}$/u.test(text)) return 'exact';
  if (STOPWORDS.has(text.toLowerCase())) return null;
  if (/\p{Lu}/u.test(text)) return 'capitalized';
  return 'lowercase';
}

const isCapitalized = (token: string) => /^\p{Lu}/u.test(token);

/** Penn Treebank tags each kind of entity may carry. */
export function fitsTag(id: string, tag: string): boolean {
  if (id.startsWith('wn:n:')) return tag.startsWith('NN');
  if (id.startsWith('wn:v:')) return tag.startsWith('VB');
  if (id.startsWith('wn:a:')) return tag.startsWith('JJ') || tag === 'VBN' || tag === 'VBG';
  if (id.startsWith('wn:r:')) return tag.startsWith('RB');
  // Places, languages, currencies, elements: names, or adjectives such as "French".
  return tag.startsWith('NN') || tag.startsWith('JJ');
}

export class AliasIndex {
  private readonly map = new Map<string, Candidate[]>();
  readonly types = new Map<string, string[]>();
  /** Longest alias (in tokens) starting with each lower-case first token. */
  private readonly longestFrom = new Map<string, number>();
  aliasesSkipped = 0;

  add(entity: KgEntity): void {
    this.types.set(entity.id, entity.types);
    for (const alias of new Set([entity.name, ...entity.aliases])) {
      const rule = aliasRule(alias);
      if (!rule) {
        this.aliasesSkipped++;
        continue;
      }
      const tokens = alias.trim().split(/\s+/);
      const key = tokens.join(' ').toLowerCase();
      const list = this.map.get(key) ?? [];
      if (!list.some((c) => c.id === entity.id && c.alias === tokens.join(' ')))
        list.push({ id: entity.id, rule, alias: tokens.join(' ') });
      this.map.set(key, list);
      const first = tokens[0]!.toLowerCase();
      this.longestFrom.set(first, Math.max(this.longestFrom.get(first) ?? 0, tokens.length));
    }
  }

  get size(): number {
    return this.map.size;
  }

  private accepts(c: Candidate, surface: string[], atStart: boolean): boolean {
    const text = surface.join(' ');
    if (c.rule === 'exact') return text === c.alias;
    if (c.rule === 'capitalized') return isCapitalized(surface[0]!);
    // A common noun: in lower case, or capitalised only because it opens the sentence.
    return text === c.alias || (atStart && text.toLowerCase() === c.alias && !surface.slice(1).some(isCapitalized));
  }

  /**
   * Non-overlapping mentions, longest first at each position. With part-of-speech tags, a reading
   * must fit the tag of the mention's last word: a WordNet noun synset a noun, a verb synset a verb,
   * and so on ("yellow" the colour is not "to yellow").
   */
  match(tokens: string[], pos?: string[]): Mention[] {
    const mentions: Mention[] = [];
    const lower = tokens.map((t) => t.toLowerCase());
    for (let i = 0; i < tokens.length;) {
      let found: Mention | null = null;
      for (let n = Math.min(this.longestFrom.get(lower[i]!) ?? 0, tokens.length - i); n >= 1 && !found; n--) {
        const surface = tokens.slice(i, i + n);
        const key = lower.slice(i, i + n).join(' ');
        const candidates = this.map.get(key);
        if (!candidates) continue;
        const tag = pos?.[i + n - 1];
        const ids = [
          ...new Set(
            candidates
              .filter((c) => this.accepts(c, surface, i === 0) && (tag === undefined || fitsTag(c.id, tag)))
              .map((c) => c.id),
          ),
        ];
        if (ids.length > 0) found = { start: i, end: i + n - 1, ids };
      }
      if (found) {
        mentions.push(found);
        i = found.end + 1;
      } else i++;
    }
    return mentions;
  }
}
