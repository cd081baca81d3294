// CoreNLP's KBP relations in TACRED's own schema (Zhang et al. 2017: 41 relations and no_relation),
// and the TACRED rows of an annotated sentence: a row per related pair of named mentions, and
// no_relation candidates — pairs of named mentions of the same sentence with a PERSON or
// ORGANIZATION subject, as TACRED's, that KBP relates in neither direction.
import type { NerKbpSentence, RelationExample } from '../../data/schemas.ts';

export const TACRED_RELATIONS = [
  'org:alternate_names',
  'org:city_of_headquarters',
  'org:country_of_headquarters',
  'org:dissolved',
  'org:founded',
  'org:founded_by',
  'org:member_of',
  'org:members',
  'org:number_of_employees/members',
  'org:parents',
  'org:political/religious_affiliation',
  'org:shareholders',
  'org:stateorprovince_of_headquarters',
  'org:subsidiaries',
  'org:top_members/employees',
  'org:website',
  'per:age',
  'per:alternate_names',
  'per:cause_of_death',
  'per:charges',
  'per:children',
  'per:cities_of_residence',
  'per:city_of_birth',
  'per:city_of_death',
  'per:countries_of_residence',
  'per:country_of_birth',
  'per:country_of_death',
  'per:date_of_birth',
  'per:date_of_death',
  'per:employee_of',
  'per:origin',
  'per:other_family',
  'per:parents',
  'per:religion',
  'per:schools_attended',
  'per:siblings',
  'per:spouse',
  'per:stateorprovince_of_birth',
  'per:stateorprovince_of_death',
  'per:stateorprovinces_of_residence',
  'per:title',
] as const;
export type TacredRelation = (typeof TACRED_RELATIONS)[number];

export const NO_RELATION = 'no_relation';

/** TACRED's subjects: a person or an organization. */
export const TACRED_SUBJECT_TYPES = ['PERSON', 'ORGANIZATION'];

/**
 * CoreNLP's KBPAnnotator renames eight of its model's relations to the TAC KBP 2015 names before it
 * answers (its relationNameConversionMap, read from the 4.5.10 jar); TACRED keeps the older names.
 * This is that map backwards, where TACRED has the relation: the first five differ in spelling
 * only, the next two by the "date_" CoreNLP added. per:employee_or_member_of is per:employee_of
 * and per:member_of merged; TACRED has no per:member_of (its per:employee_of covers membership).
 */
export const KBP_TO_TACRED: Readonly<Record<string, TacredRelation>> = {
  'org:number_of_employees_members': 'org:number_of_employees/members',
  'org:political_religious_affiliation': 'org:political/religious_affiliation',
  'org:top_members_employees': 'org:top_members/employees',
  'per:statesorprovinces_of_residence': 'per:stateorprovinces_of_residence',
  'per:employee_or_member_of': 'per:employee_of',
  'org:date_dissolved': 'org:dissolved',
  'org:date_founded': 'org:founded',
};

/** A KBP relation's TACRED name, or null when TACRED has no such relation. */
export function tacredRelation(kbp: string): TacredRelation | null {
  const mapped = KBP_TO_TACRED[kbp];
  if (mapped !== undefined) return mapped;
  return (TACRED_RELATIONS as readonly string[]).includes(kbp) ? (kbp as TacredRelation) : null;
}

export interface RelationCounts {
  /** KBP relations as CoreNLP names them, all of them. */
  kbp: Record<string, number>;
  /** KBP relations TACRED does not have (after the renames). */
  outsideTacred: Record<string, number>;
  /** KBP relations whose subject is neither PERSON nor ORGANIZATION, by TACRED relation. */
  subjectNotPersonOrOrganization: Record<string, number>;
  /** Relations of a pair that KBP gives more than one TACRED relation (TACRED has one per pair). */
  pairWithSeveralRelations: number;
  /** KBP relations with a pronoun (he, she, his) at one end, by TACRED relation: TACRED's ends are named. */
  pronounEnd: Record<string, number>;
  /** The same relation of the same pair given twice. */
  duplicates: number;
}

export const emptyRelationCounts = (): RelationCounts => ({
  kbp: {},
  outsideTacred: {},
  subjectNotPersonOrOrganization: {},
  pronounEnd: {},
  pairWithSeveralRelations: 0,
  duplicates: 0,
});

type Span = readonly [number, number];
const key = (s: Span, o: Span) => `${s[0]}-${s[1] - 1}:${o[0]}-${o[1] - 1}`;
const overlap = (a: Span, b: Span) => a[0] < b[1] && b[0] < a[1];

function row(
  s: NerKbpSentence,
  subj: Span,
  obj: Span,
  types: { subj: string; obj: string },
  relation: string,
): RelationExample {
  const words = ([b, e]: Span) => s.tokens.slice(b, e).join(' ');
  return {
    id: `${s.id}:${key(subj, obj)}`,
    source: s.source,
    sentence_id: s.id,
    token: s.tokens,
    // TACRED spans are inclusive word indices; CoreNLP's end is exclusive.
    subj_start: subj[0],
    subj_end: subj[1] - 1,
    obj_start: obj[0],
    obj_end: obj[1] - 1,
    subj_type: types.subj,
    obj_type: types.obj,
    relation,
    // No knowledge-graph entity stands behind a mention: its words are its id.
    subj_id: words(subj),
    obj_id: words(obj),
  };
}

const bump = (counts: Record<string, number>, k: string) => (counts[k] = (counts[k] ?? 0) + 1);

/** The sentence's TACRED rows with a relation, and its no_relation candidates; what is left out, counted. */
export function relationRows(
  s: NerKbpSentence,
  counts: RelationCounts,
): { positives: RelationExample[]; negatives: RelationExample[] } {
  const pronouns = new Set(s.mentions.filter((m) => m.pronoun).map((m) => key(m.span, m.span)));
  const named = s.mentions.filter((m) => !m.pronoun);
  // Every pair KBP relates, in either direction and by any relation: never a no_relation candidate.
  const related = new Set<string>();
  const byPair = new Map<string, { r: NerKbpSentence['relations'][number]; tacred: Set<TacredRelation> }>();
  for (const r of s.relations) {
    bump(counts.kbp, r.relation);
    related.add(key(r.subj, r.obj)).add(key(r.obj, r.subj));
    const tacred = tacredRelation(r.relation);
    if (tacred === null) {
      bump(counts.outsideTacred, r.relation);
      continue;
    }
    if (!TACRED_SUBJECT_TYPES.includes(r.subj_type)) {
      bump(counts.subjectNotPersonOrOrganization, tacred);
      continue;
    }
    if (pronouns.has(key(r.subj, r.subj)) || pronouns.has(key(r.obj, r.obj))) {
      bump(counts.pronounEnd, tacred);
      continue;
    }
    const k = key(r.subj, r.obj);
    const entry = byPair.get(k) ?? { r, tacred: new Set() };
    if (entry.tacred.has(tacred)) counts.duplicates++;
    entry.tacred.add(tacred);
    byPair.set(k, entry);
  }
  const positives: RelationExample[] = [];
  for (const { r, tacred } of byPair.values()) {
    if (tacred.size > 1) {
      counts.pairWithSeveralRelations += tacred.size;
      continue;
    }
    positives.push(row(s, r.subj, r.obj, { subj: r.subj_type, obj: r.obj_type }, [...tacred][0]!));
  }
  const negatives: RelationExample[] = [];
  for (const subj of named) {
    if (!TACRED_SUBJECT_TYPES.includes(subj.ner)) continue;
    for (const obj of named) {
      if (obj === subj || overlap(subj.span, obj.span) || related.has(key(subj.span, obj.span))) continue;
      negatives.push(row(s, subj.span, obj.span, { subj: subj.ner, obj: obj.ner }, NO_RELATION));
    }
  }
  return { positives, negatives };
}
