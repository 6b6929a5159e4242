import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';

describe('switchyard NATS RPC entry', () => {
  it('does not load nats.js until a transport or server is used', () => {
    // A fresh process, so nothing else has loaded nats.js already.
    const script = `
      import { createRequire } from 'node:module';
      const { natsTransport, createNatsServer } = await import(${JSON.stringify(new URL('./index.ts', import.meta.url).href)});
      const { createHost } = await import(${JSON.stringify(new URL('../../runtime/index.ts', import.meta.url).href)});
      natsTransport({ subjectPrefix: 'unused' });
      createNatsServer({ host: createHost() });
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((p) => p.includes('/node_modules/nats/'));
      process.stdout.write(String(loaded));
    `;
    const out = execFileSync(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    assert.equal(out, 'false');
  });
});
