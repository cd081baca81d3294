import { describe, expect, it } from 'vitest';
import { UsageError } from '../../util/errors.ts';
import { downstreamTask, downstreamTaskNames, registerDownstreamTask } from './index.ts';

describe('the downstream task registry', () => {
  it('holds the built-in tasks once each, in order', () => {
    expect(downstreamTaskNames()).toEqual(['entity-typing', 'relation', 'pos']);
    expect(downstreamTask('relation').positionsPerPrediction).toBe(2);
  });

  it('names the registered tasks for an unknown name', () => {
    expect(() => downstreamTask('sentiment')).toThrow(UsageError);
    expect(() => downstreamTask('sentiment')).toThrow(
      'unknown downstream task "sentiment"; registered: entity-typing, relation, pos',
    );
  });

  it('refuses a name twice, and a name that cannot name a folder', () => {
    expect(() => registerDownstreamTask(downstreamTask('pos'))).toThrow(/registered twice/);
    expect(() => registerDownstreamTask({ ...downstreamTask('pos'), name: 'a/b' })).toThrow(/names a folder|letters/);
  });
});
