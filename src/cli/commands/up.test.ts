import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childV8Flags } from './up.js';

describe('the V8 flags of the processes up starts', () => {
  it('gives them a small young generation', () => {
    assert.deepEqual(childV8Flags([], ''), ['--max-semi-space-size=4']);
    assert.deepEqual(childV8Flags(['--enable-source-maps'], '--no-warnings'), ['--max-semi-space-size=4']);
  });

  it('leaves the size to the user who sets it, on the command line or in NODE_OPTIONS', () => {
    assert.deepEqual(childV8Flags(['--max-semi-space-size=32'], ''), []);
    assert.deepEqual(childV8Flags([], '--max-semi-space-size=16 --no-warnings'), []);
  });
});
