import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import { registryBackendConformance } from './conformance.js';
import { createEtcdBackend } from './etcd.js';

// One prefix per run on the shared etcd; every key under it is deleted afterwards.
const runPrefix = `switchyard-test/${randomUUID().slice(0, 8)}/`;

registryBackendConformance({
  name: 'etcd',
  capabilities: { persistent: true, shared: true },
  open: ({ storage, evictAfter }) => createEtcdBackend({ prefix: `${runPrefix}${storage}/`, evictAfter }),
  async cleanup(storage) {
    const { Etcd3 } = await import('etcd3');
    const client = new Etcd3({ hosts: 'http://127.0.0.1:2379' });
    try {
      await client.delete().prefix(`${runPrefix}${storage}/`).exec();
    } finally {
      client.close();
    }
  },
});

describe('etcd registry backend', () => {
  it('fails fast with UNAVAILABLE when etcd cannot be reached', async () => {
    const started = Date.now();
    await assert.rejects(
      createEtcdBackend({ hosts: 'http://127.0.0.1:9', prefix: runPrefix }),
      (error) => SwitchyardError.is(error, 'UNAVAILABLE') && /127\.0\.0\.1:9/.test(error.message),
    );
    assert.ok(Date.now() - started < 10_000);
  });
});
