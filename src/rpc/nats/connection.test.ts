import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { natsServers } from '../../../test/rpc/fixtures/nats-support.js';
import { openConnection } from './connection.js';

describe('RPC over NATS: connection', () => {
  it('writes its outbound buffer every 8 KiB instead of once per tick', async () => {
    const { nc } = await openConnection({ servers: natsServers }, { name: 'sy-test-connection' });
    try {
      // nats.js reads `pendingLimit` but does not type it: this fails if a new version stops reading it.
      const protocol = (nc as unknown as { protocol: { pendingLimit: number } }).protocol;
      assert.equal(protocol.pendingLimit, 8 * 1024);
    } finally {
      await nc.close();
    }
  });
});
