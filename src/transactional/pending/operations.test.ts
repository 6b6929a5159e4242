import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import { openSqliteStore } from '../sqlite/store.js';
import { pendingOperations } from './operations.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-operations-'));
const store = openSqliteStore({ file: join(dir, 'service.db') });
const operations = pendingOperations({ store, basePath: '/ops/', expiryIntervalMs: 60_000 });
after(async () => {
  operations.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('an operation finishes once: a second reply changes nothing', async () => {
  const op = await store.transaction((tx) =>
    operations.begin(tx, { kind: 'createOrder', resource: '/orders/1' }),
  );
  assert.deepEqual(operations.accepted(op).headers, { location: `/ops/${op.id}`, 'retry-after': '1' });
  assert.equal(await store.transaction((tx) => operations.complete(tx, op.id, { status: 'APPROVED' })), true);
  assert.equal(
    await store.transaction((tx) => operations.complete(tx, op.id, { status: 'REJECTED' })),
    false,
  );
  const status = await operations.get(op.id);
  assert.equal(status?.status, 'APPROVED');
  assert.equal(status?.done, true);
  assert.equal(status?.resource, '/orders/1');
});

test('a rolled-back request leaves no operation behind', async () => {
  let id = '';
  await assert.rejects(
    store.transaction(async (tx) => {
      id = (await operations.begin(tx, { kind: 'createOrder' })).id;
      throw new Error('validation failed');
    }),
  );
  assert.equal(await operations.get(id), undefined);
  await assert.rejects(operations.waitFor(id), (e) => SwitchyardError.is(e, 'NOT_FOUND'));
});

test('a failure is kept as the error a client reads; an overdue operation expires', async () => {
  const failed = await store.transaction((tx) => operations.begin(tx, { kind: 'refund' }));
  await store.transaction((tx) =>
    operations.fail(tx, failed.id, new SwitchyardError('FAILED_PRECONDITION', 'card expired')),
  );
  const status = await operations.waitFor(failed.id, { timeoutMs: 1_000 });
  assert.equal(status.status, 'FAILED');
  assert.deepEqual(status.error, {
    code: 'FAILED_PRECONDITION',
    message: 'card expired',
    details: {},
    retryable: false,
  });

  const overdue = await store.transaction((tx) =>
    operations.begin(tx, { kind: 'createOrder', timeoutMs: 1 }),
  );
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(await operations.expireOverdue(), [overdue.id]);
  assert.equal((await operations.get(overdue.id))?.status, 'EXPIRED');
  assert.equal(
    await store.transaction((tx) => operations.complete(tx, overdue.id, { status: 'APPROVED' })),
    false,
  );
});

test('waitFor returns the PENDING status when the wait runs out', async () => {
  const op = await store.transaction((tx) => operations.begin(tx, { kind: 'slow' }));
  const status = await operations.waitFor(op.id, { timeoutMs: 50 });
  assert.equal(status.status, 'PENDING');
  assert.equal(status.done, false);
});
