import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { LeaseMemo } from './peek.js';

test('a group known to have no lease is trusted for the memo period, then checked again', async () => {
  const memo = new LeaseMemo(50);
  assert.equal(memo.has('p.c.g.lease'), false);
  memo.remember('p.c.g.lease');
  assert.equal(memo.has('p.c.g.lease'), true);
  assert.equal(memo.has('p.c.other.lease'), false);
  await sleep(80);
  assert.equal(memo.has('p.c.g.lease'), false);
});
