import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allCodes, SwitchyardError } from '../errors/index.js';
import { blame, isCalleeFailure, isNotRecorded, isUnanswered } from './classify.js';

describe('error classification', () => {
  it('decides every code, by code and never by message', () => {
    for (const code of allCodes) assert.ok(blame[code], code);
    const misleading = new SwitchyardError('NOT_FOUND', 'service unavailable: timeout, internal error');
    assert.equal(isCalleeFailure(misleading), false);
  });

  it('counts callee errors and foreign errors as breaker failures, caller errors not', () => {
    const failures = allCodes.filter((code) => isCalleeFailure(new SwitchyardError(code, '')));
    assert.deepEqual(failures.sort(), [
      'DATA_LOSS',
      'DEADLINE_EXCEEDED',
      'INTERNAL',
      'RESOURCE_EXHAUSTED',
      'UNAVAILABLE',
      'UNKNOWN',
    ]);
    assert.equal(isCalleeFailure(new Error('socket hang up')), true);
  });

  it('records neither success nor failure for calls that never reached the callee or were cancelled', () => {
    const ignored = allCodes.filter((code) => isNotRecorded(new SwitchyardError(code, '')));
    assert.deepEqual(ignored.sort(), ['BULKHEAD_FULL', 'CANCELLED', 'CIRCUIT_OPEN']);
  });

  it('falls back for unanswered calls only', () => {
    assert.equal(isUnanswered(new SwitchyardError('CIRCUIT_OPEN', '')), true);
    assert.equal(isUnanswered(new SwitchyardError('CANCELLED', '')), false);
    assert.equal(isUnanswered(new SwitchyardError('FAILED_PRECONDITION', '')), false);
    assert.equal(isUnanswered(new Error('bug')), false);
  });
});
