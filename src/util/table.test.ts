import { expect, it } from 'vitest';
import { formatTable } from './table.ts';

it('aligns columns under a header and a rule', () => {
  const text = formatTable([
    { service: 'corenlp', rssMiB: 1460 },
    { service: 'neo4j', rssMiB: 396, note: 'kept' },
  ]);
  expect(text.split('\n')).toEqual([
    'service  rssMiB  note',
    '-------  ------  ----',
    'corenlp  1460',
    'neo4j    396     kept',
  ]);
});

it('prints nothing for no rows', () => {
  expect(formatTable([])).toBe('');
});
