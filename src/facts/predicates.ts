// The predicates of the knowledge graph, with Wikidata property ids (SPEC §5) so that T-REx data
// can be mixed in. The order is the preference when one ordered pair has several facts: the more
// specific relation wins (a capital is also located in its country).
export interface Predicate {
  id: string;
  label: string;
}

export const PREDICATES: Predicate[] = [
  { id: 'P36', label: 'capital' },
  { id: 'P1376', label: 'capital of' },
  { id: 'P47', label: 'shares border with' },
  { id: 'P37', label: 'official language' },
  { id: 'P38', label: 'currency' },
  { id: 'P30', label: 'continent' },
  { id: 'P131', label: 'located in the administrative territorial entity' },
  { id: 'P17', label: 'country' },
  { id: 'P463', label: 'member of' },
  { id: 'P186', label: 'made from material' },
  { id: 'P1542', label: 'has effect' },
  { id: 'P31', label: 'instance of' },
  { id: 'P279', label: 'subclass of' },
  { id: 'P361', label: 'part of' },
  { id: 'P527', label: 'has part' },
  { id: 'P461', label: 'opposite of' },
];

export const PREDICATE_IDS = PREDICATES.map((p) => p.id);
export const NO_RELATION = 'no_relation';

export function predicateRank(id: string): number {
  const i = PREDICATE_IDS.indexOf(id);
  return i < 0 ? PREDICATE_IDS.length : i;
}
