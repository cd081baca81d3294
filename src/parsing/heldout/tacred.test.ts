import { describe, expect, it } from 'vitest';
import { joeSmith } from '../../../test/fixtures/heldout/sentences.ts';
import {
  emptyRelationCounts,
  KBP_TO_TACRED,
  NO_RELATION,
  relationRows,
  TACRED_RELATIONS,
  tacredRelation,
} from './tacred.ts';

describe('KBP relations in TACRED names', () => {
  it("has TACRED's 41 relations, each once", () => {
    expect(new Set(TACRED_RELATIONS).size).toBe(41);
    expect(TACRED_RELATIONS.every((r) => /^(per|org):[a-z_/]+$/.test(r))).toBe(true);
  });

  it("maps back every rename of CoreNLP 4.5.10's KBPAnnotator (its relationNameConversionMap) that TACRED has", () => {
    // The conversion map read from the jar: older name → the name CoreNLP answers with.
    const conversion: [string, string][] = [
      ['org:dissolved', 'org:date_dissolved'],
      ['org:founded', 'org:date_founded'],
      ['org:number_of_employees/members', 'org:number_of_employees_members'],
      ['org:political/religious_affiliation', 'org:political_religious_affiliation'],
      ['org:top_members/employees', 'org:top_members_employees'],
      ['per:member_of', 'per:employee_or_member_of'],
      ['per:employee_of', 'per:employee_or_member_of'],
      ['per:stateorprovinces_of_residence', 'per:statesorprovinces_of_residence'],
    ];
    for (const [older, answered] of conversion) {
      // per:member_of is not TACRED's: the merged relation goes to per:employee_of.
      expect(tacredRelation(answered), answered).toBe(older === 'per:member_of' ? 'per:employee_of' : older);
    }
    for (const [kbp, tacred] of Object.entries(KBP_TO_TACRED)) {
      expect(TACRED_RELATIONS as readonly string[]).not.toContain(kbp);
      expect(TACRED_RELATIONS).toContain(tacred);
    }
  });

  it('keeps a name TACRED has and answers null for one it has not', () => {
    expect(tacredRelation('per:title')).toBe('per:title');
    expect(tacredRelation('gpe:subsidiaries')).toBeNull();
    expect(tacredRelation('per:member_of')).toBeNull();
  });
});

describe('TACRED rows of an annotated sentence', () => {
  it('makes a row per related pair: inclusive spans, NER types, TACRED names', () => {
    const counts = emptyRelationCounts();
    const { positives } = relationRows(joeSmith(), counts);
    const byRelation = Object.fromEntries(positives.map((r) => [r.relation, r]));
    expect(Object.keys(byRelation).sort()).toEqual(['org:top_members/employees', 'per:employee_of', 'per:title']);
    expect(byRelation['per:title']).toMatchObject({
      id: 'nlp-corpus-0000000000000001:0-1:4-4',
      sentence_id: 'nlp-corpus-0000000000000001',
      source: 'nlp-corpus',
      subj_start: 0,
      subj_end: 1,
      obj_start: 4,
      obj_end: 4,
      subj_type: 'PERSON',
      obj_type: 'TITLE',
      subj_id: 'Joe Smith',
      obj_id: 'CEO',
    });
    expect(byRelation['per:title']!.token).toHaveLength(19);
    expect(counts.kbp).toEqual({ 'per:title': 1, 'per:employee_or_member_of': 1, 'org:top_members_employees': 1 });
  });

  it('makes no_relation candidates of unrelated named pairs with a PERSON or ORGANIZATION subject', () => {
    const { negatives } = relationRows(joeSmith(), emptyRelationCounts());
    const pairs = negatives.map((r) => `${r.subj_id} → ${r.obj_id}`).sort();
    // Related pairs (either way), pronouns and non-PERSON/ORGANIZATION subjects are not candidates.
    expect(pairs).toEqual([
      'Acme Corp. → 1950',
      'Acme Corp. → CEO',
      'Acme Corp. → Paris',
      'Joe Smith → 1950',
      'Joe Smith → Paris',
    ]);
    expect(negatives.every((r) => r.relation === NO_RELATION)).toBe(true);
  });

  it('counts what it leaves out: outside TACRED, odd subjects, pronoun ends, pairs with two relations, duplicates', () => {
    const s = joeSmith();
    const rel = (
      subj: [number, number],
      obj: [number, number],
      relation: string,
      subj_type: string,
      obj_type = 'X',
    ) => ({
      subj,
      obj,
      relation,
      subj_type,
      obj_type,
    });
    s.relations = [
      rel([6, 8], [11, 12], 'gpe:subsidiaries', 'ORGANIZATION'),
      rel([11, 12], [6, 8], 'org:city_of_headquarters', 'CITY'),
      rel([13, 14], [17, 18], 'per:date_of_birth', 'PERSON'),
      rel([0, 2], [11, 12], 'per:cities_of_residence', 'PERSON'),
      rel([0, 2], [11, 12], 'per:city_of_birth', 'PERSON'),
      rel([0, 2], [4, 5], 'per:title', 'PERSON'),
      rel([0, 2], [4, 5], 'per:title', 'PERSON'),
    ];
    const counts = emptyRelationCounts();
    const { positives, negatives } = relationRows(s, counts);
    expect(positives.map((r) => r.relation)).toEqual(['per:title']);
    expect(counts.outsideTacred).toEqual({ 'gpe:subsidiaries': 1 });
    expect(counts.subjectNotPersonOrOrganization).toEqual({ 'org:city_of_headquarters': 1 });
    expect(counts.pronounEnd).toEqual({ 'per:date_of_birth': 1 });
    expect(counts.pairWithSeveralRelations).toBe(2);
    expect(counts.duplicates).toBe(1);
    // A pair KBP relates by any relation, in or outside TACRED, is never a no_relation candidate.
    const pairs = negatives.map((r) => `${r.subj_id} → ${r.obj_id}`);
    expect(pairs).not.toContain('Acme Corp. → Paris');
    expect(pairs).not.toContain('Joe Smith → Paris');
  });
});
