import { describe, expect, it } from 'vitest';
import { UsageError } from '../../util/errors.ts';
import { knowledgeTask, knowledgeTasks, readHeadSettings, registerKnowledgeTask, taskOfAdapter } from './index.ts';

describe('the knowledge-task registry', () => {
  it("lists the factual adapter's task, then the linguistic adapter's, each registered once", () => {
    expect(knowledgeTasks().map((t) => [t.name, t.adapter])).toEqual([
      ['relation', 'factual'],
      ['dependency', 'linguistic'],
    ]);
    expect(taskOfAdapter('linguistic')).toBe(knowledgeTask('dependency'));
    expect(() => registerKnowledgeTask(knowledgeTask('relation'))).toThrow(/registered twice/);
    expect(() => knowledgeTask('coreference')).toThrow(UsageError);
  });

  it("reads head_config.json with its task's own schema: each kind's field is required, no other", () => {
    expect(readHeadSettings({ kind: 'relation', hidden: 8, fuse: true, labels: ['P1', 'no_relation'] })).toEqual({
      kind: 'relation',
      hidden: 8,
      fuse: true,
      labels: ['P1', 'no_relation'],
    });
    expect(() => readHeadSettings({ kind: 'relation', hidden: 8, fuse: true })).toThrow(/labels/);
    expect(() => readHeadSettings({ kind: 'dependency', hidden: 8, fuse: true })).toThrow(/scoreDim/);
    expect(() => readHeadSettings({ kind: 'dependency', hidden: 8, fuse: true, scoreDim: 4, labels: [] })).toThrow();
    expect(() => readHeadSettings({ kind: 'srl', hidden: 8, fuse: true })).toThrow(/unknown knowledge task "srl"/);
  });
});
