import { describe, expect, it } from 'vitest';
import { CheckpointState } from './checkpoint.ts';

describe('checkpoint files', () => {
  it('reads a checkpoint state as it is written', () => {
    const state = {
      configHash: 'abc',
      step: 3,
      dev: [{ examples: 33, loss: 1.5, uas: 0.5, words: 568 }],
      seconds: 10.2,
      lossAcc: 0,
      lossCount: 0,
    };
    expect(CheckpointState.parse(state)).toEqual(state);
  });
});
