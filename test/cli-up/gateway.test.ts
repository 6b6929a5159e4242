// The gateway process of `switchyard up`.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { cli, start, statusRows, system } from './support.js';

describe('switchyard up with a gateway', () => {
  it(
    'starts the gateway last, finds services through the hub, and stops it first',
    { timeout: 180_000 },
    async () => {
      const sys = await system({ replicas: 1, gateway: true });
      const up = start(['up', sys.file]);
      try {
        await up.waitFor(/is up: 3 processes/);
        assert.match(up.output(), new RegExp(`^  gateway   ${sys.gatewayUrl}$`, 'm'));
        const answer = await fetch(`${sys.gatewayUrl}/v1/consumers/c-alice`);
        assert.equal(answer.status, 200);
        assert.equal(((await answer.json()) as { name: string }).name, 'Alice');
        const gateway = (await statusRows(sys.file)).find((r) => r.name === 'gateway');
        assert.equal(gateway?.state, 'ready');
        assert.ok(gateway.requests! >= 1 && gateway.rssBytes! > 0, JSON.stringify(gateway));

        up.kill('SIGINT');
        assert.equal(await up.exited, 0, up.output());
        assert.match(up.output(), /gateway: exit code 0[\s\S]*consumers-1: exit[\s\S]*hub: exit/);
      } finally {
        up.kill('SIGKILL');
        sys.cleanup();
      }
    },
  );

  it('refuses to start when the gateway port is taken, before starting anything', async () => {
    const sys = await system({ replicas: 1, gateway: true });
    const port = Number(new URL(sys.gatewayUrl).port);
    const taken = createServer().listen(port, '127.0.0.1');
    await new Promise((listening) => taken.once('listening', listening));
    try {
      const { code, output } = await cli(['up', sys.file, '--once']);
      assert.equal(code, 1);
      assert.match(output, new RegExp(`port ${port} \\(tcp\\) is in use`));
      assert.doesNotMatch(output, /starting hub/);
    } finally {
      taken.close();
      sys.cleanup();
    }
  });
});
