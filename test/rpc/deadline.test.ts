import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SwitchyardError } from 'switchyard/errors';
import { httpTransport, staticEndpoint } from 'switchyard/rpc';
import { createHost, type Host } from 'switchyard/runtime';
import { HopA } from './fixtures/contracts.js';
import { killAll, spawnService } from './processes.js';

describe(
  'deadline propagation across three service processes (A → B → C over HTTP)',
  { timeout: 60_000 },
  () => {
    let host: Host;

    before(async () => {
      const c = await spawnService('hop', { HOP: 'c' });
      const b = await spawnService('hop', { HOP: 'b', NEXT: c.address });
      const a = await spawnService('hop', { HOP: 'a', NEXT: b.address });
      host = createHost({ transports: () => httpTransport({ endpoints: staticEndpoint(a.address) }) });
    });
    after(async () => {
      await host?.close();
      await killAll();
    });

    it('gives each hop less time than the one before, within the caller’s second', async () => {
      const { seen } = await host.client(HopA).relay({}, { timeoutMs: 1_000 });
      assert.deepEqual(
        seen.map((hop) => hop.service),
        ['hop-a', 'hop-b', 'hop-c'],
      );
      const [a, b, c] = seen.map((hop) => hop.remainingMs) as [number, number, number];
      assert.ok(c > 0 && c < b && b < a && a <= 1_000, `remaining: A ${a}, B ${b}, C ${c}`);
    });

    it('answers DEADLINE_EXCEEDED at the deadline when the last hop sleeps past it', async () => {
      const started = Date.now();
      await assert.rejects(host.client(HopA).relay({ sleepMs: 5_000 }, { timeoutMs: 1_000 }), (error) => {
        assert.ok(SwitchyardError.is(error, 'DEADLINE_EXCEEDED'), String(error));
        return true;
      });
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 950 && elapsed < 1_600, `answered after ${elapsed} ms`);
    });
  },
);
