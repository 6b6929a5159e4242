import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childV8Flags } from './up.js';

const defaults = ['--max-semi-space-size=4', '--heap-growing-percent=20'];

describe('the V8 flags of the processes up starts', () => {
  it('gives them a small young generation and an old one that grows little past what it keeps', () => {
    assert.deepEqual(childV8Flags([], ''), defaults);
    assert.deepEqual(childV8Flags(['--enable-source-maps'], '--no-warnings'), defaults);
  });

  it('leaves each setting to the user who sets it, on the command line or in NODE_OPTIONS', () => {
    assert.deepEqual(childV8Flags(['--max-semi-space-size=32'], ''), ['--heap-growing-percent=20']);
    assert.deepEqual(childV8Flags([], '--max-semi-space-size=16 --no-warnings'), [
      '--heap-growing-percent=20',
    ]);
    assert.deepEqual(childV8Flags(['--heap-growing-percent=50'], ''), ['--max-semi-space-size=4']);
  });
});
