import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { freeTcpPort } from './ports.js';

describe('a free port for a child process', () => {
  it('is outside the range outgoing connections take, and can be listened on', async () => {
    const [first] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const ports = await Promise.all(Array.from({ length: 5 }, () => freeTcpPort()));
    for (const port of ports) {
      assert.ok(port >= 20_000 && port < Number(first), `${port} is below ${first}`);
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      });
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
