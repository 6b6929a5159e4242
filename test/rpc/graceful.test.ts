import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client } from 'undici';
import { httpTransport, staticEndpoint } from 'switchyard/rpc';
import { createHost } from 'switchyard/runtime';
import { SlowContract } from './fixtures/contracts.js';
import { killAll, spawnService } from './processes.js';

async function status(client: Client, path: string): Promise<number> {
  const response = await client.request({ path, method: 'GET' });
  await response.body.dump();
  return response.statusCode;
}

describe('graceful shutdown of a service process on SIGTERM', { timeout: 60_000 }, () => {
  after(() => killAll());

  it('deregisters, turns /readyz to 503, refuses new connections, finishes the in-flight call and exits 0', async () => {
    const slow = await spawnService('slow', { GRACE_MS: '5000' });
    await slow.waitFor(/^registered /);
    const origin = `http://${slow.address}`;
    // A kept-alive connection from before the signal: the only way to reach a server that stopped listening.
    const probe = new Client(origin);
    const host = createHost({ transports: () => httpTransport({ endpoints: staticEndpoint(slow.address) }) });
    try {
      assert.equal(await status(probe, '/readyz'), 200);
      const call = host.client(SlowContract).work({ ms: 1_500 });
      await slow.waitFor(/^work started$/);

      slow.child.kill('SIGTERM');
      await slow.waitFor(/draining/);
      assert.equal(await status(probe, '/readyz'), 503);
      const fresh = new Client(origin);
      await assert.rejects(status(fresh, '/healthz'), { code: 'ECONNREFUSED' });
      await fresh.close();

      const { workedMs } = await call;
      assert.ok(workedMs >= 1_400, `the call ran to its end (${workedMs} ms)`);
      assert.deepEqual(await slow.exited, { code: 0, signal: null });
      const order = ['deregistered', 'draining', 'work finished', 'stopped'].map((word) =>
        slow.lines.findIndex((line) => line.includes(word)),
      );
      assert.ok(
        order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1]!)),
        slow.lines.join('\n'),
      );
      const after = new Client(origin);
      await assert.rejects(status(after, '/healthz'), { code: 'ECONNREFUSED' });
      await after.close();
    } finally {
      await probe.close();
      await host.close();
    }
  });
});
