import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { equalJitter, fullJitter } from './backoff.js';

type Case = [attempt: number, random: number, expected: number];
const initialMs = 100;
const maxMs = 5_000;

describe('backoff with jitter', () => {
  test('full jitter draws between 0 and the doubled ceiling, capped', () => {
    const cases: Case[] = [
      [1, 0, 0],
      [1, 0.5, 50],
      [3, 1, 400],
      [40, 1, maxMs],
    ];
    for (const [attempt, random, expected] of cases)
      assert.equal(
        fullJitter(attempt, initialMs, maxMs, () => random),
        expected,
        `attempt ${attempt}`,
      );
  });

  test('equal jitter stays between half and all of the ceiling, capped; attempts below 1 count as 1', () => {
    const cases: Case[] = [
      [1, 0, 50],
      [1, 1, 100],
      [4, 0, 400],
      [100, 0.5, 3_750],
      [0, 1, 100],
    ];
    for (const [attempt, random, expected] of cases)
      assert.equal(
        equalJitter(attempt, initialMs, maxMs, () => random),
        expected,
        `attempt ${attempt}`,
      );
  });
});
