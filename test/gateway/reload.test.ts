import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { createGateway, GatewayConfigError } from '../../src/gateway/index.js';
import {
  call,
  fixtures,
  root,
  spawnFixture,
  spawnProcess,
  startGateway,
  stopAll,
  workspace,
  type Proc,
} from './support.js';

describe('gateway configuration and hot reload', { timeout: 90_000 }, () => {
  let echo: Proc;
  let backend: Proc;

  before(async () => {
    [echo, backend] = await Promise.all([
      spawnFixture('echo-server'),
      spawnFixture('backend', { SERVICES: 'profiles', INSTANCE: 'p1' }),
    ]);
  });
  after(() => stopAll());

  it('reports configuration errors as file:line before serving', async () => {
    const space = await workspace();
    try {
      const file = await space.write(
        'gateway.yaml',
        [
          'discovery:',
          '  static:',
          '    a: [127.0.0.1:1]',
          'routes:',
          '  - name: x',
          '    match: { path: /x }',
          '    proxi: {}',
          '',
        ].join('\n'),
      );
      await assert.rejects(createGateway({ file, port: 0, accessLog: false }), (error: Error) => {
        assert.ok(error instanceof GatewayConfigError);
        assert.match(error.message, /gateway\.yaml:7: unknown key "proxi"/);
        return true;
      });
      await space.write('bad.yaml', 'routes:\n  - name: x\n    match: { path: nope }\n');
      await assert.rejects(
        createGateway({ file: join(space.dir, 'bad.yaml'), port: 0 }),
        /bad\.yaml:3: .*path/,
      );
      await space.write(
        'ref.yaml',
        stringify({
          contracts: [join(fixtures, 'contracts.ts')],
          discovery: { static: { a: ['127.0.0.1:1'] } },
          routes: [
            { name: 'ok', match: { path: '/ok' }, proxy: { url: 'http://127.0.0.1:1' } },
            { operation: 'gw-orders@1.getOrdr' },
          ],
        }),
      );
      await assert.rejects(
        createGateway({ file: join(space.dir, 'ref.yaml'), port: 0 }),
        /ref\.yaml:\d+: gw-orders@1 has no operation getOrdr/,
      );
      await space.write('syntax.yaml', 'routes:\n  - name: [\n');
      await assert.rejects(
        createGateway({ file: join(space.dir, 'syntax.yaml'), port: 0 }),
        /syntax\.yaml:\d+: /,
      );
    } finally {
      await space.dispose();
    }
  });

  it('applies a changed file to new requests while requests in flight finish on the old one', async () => {
    const config = (rewrite: string, extra: unknown[] = []) => ({
      contracts: [{ module: join(fixtures, 'contracts.ts'), only: ['gw-profiles'] }],
      discovery: { static: { 'gw-profiles': [backend.address] } },
      routes: [
        { name: 'echo', match: { path: '/echo/*' }, proxy: { url: `http://${echo.address}`, rewrite } },
        ...extra,
      ],
    });
    const gw = await startGateway(config('/old'));
    try {
      let failures = 0;
      let served = 0;
      let stop = false;
      const loop = async (path: string) => {
        while (!stop) {
          const answer = await call(`${gw.url}${path}`).catch(() => undefined);
          if (answer?.status === 200) served++;
          else failures++;
        }
      };
      const load = [...Array(6)].map((_, i) => loop(i % 2 ? '/echo/x' : '/v1/profiles/u-1'));
      const slow = call(`${gw.url}/echo/slow/600`);
      await sleep(100);

      await writeFile(
        gw.file,
        stringify(
          config('/new', [
            { name: 'added', match: { path: '/added' }, proxy: { url: `http://${echo.address}` } },
          ]),
        ),
      );
      await waitUntil(() => gw.gateway.generation === 2);
      assert.equal((await call(`${gw.url}/echo/y`)).json().url, '/new/y');
      assert.equal((await call(`${gw.url}/added`)).status, 200);

      await writeFile(gw.file, 'routes: [ {');
      await waitUntil(() => gw.lines.some((l) => l.includes('not reloaded')));
      assert.match(
        gw.lines.find((l) => l.includes('not reloaded'))!,
        /generation 2 keeps serving: .*gateway\.yaml:\d+/,
      );
      assert.equal((await call(`${gw.url}/added`)).status, 200, 'the running configuration stays');

      await writeFile(gw.file, stringify(config('/third')));
      await waitUntil(() => gw.gateway.generation === 3);
      assert.equal((await call(`${gw.url}/added`)).status, 404);

      assert.equal(
        (await slow).json().url,
        '/old/slow/600',
        'the request in flight finished on its configuration',
      );
      await sleep(200);
      stop = true;
      await Promise.all(load);
      assert.equal(failures, 0, `${failures} failed requests during reloads`);
      assert.ok(served > 50, `only ${served} requests served`);
    } finally {
      await gw.close();
    }
  });

  it('reads and reloads a TypeScript configuration that holds contract objects', async () => {
    const space = await workspace();
    const source = (rewrite: string) => `
import { defineGateway } from '${join(root, 'src/gateway/index.ts')}';
import { Profiles } from '${join(fixtures, 'contracts.ts')}';
export default defineGateway({
  contracts: [Profiles],
  discovery: { static: { 'gw-profiles': ['${backend.address}'] } },
  accessLog: false,
  routes: [{ name: 'echo', match: { path: '/echo/*' }, proxy: { url: 'http://${echo.address}', rewrite: '${rewrite}' } }],
});
`;
    try {
      // As in a project of ES modules, where configurations live.
      await space.write('package.json', '{ "type": "module" }');
      const file = await space.write('gateway.config.ts', source('/one'));
      const gateway = await createGateway({ file, port: 0, defaultMetrics: false, log: () => {} });
      try {
        const { url } = await gateway.listen();
        assert.equal((await call(`${url}/v1/profiles/u-1`)).json().servedBy, 'p1');
        assert.equal((await call(`${url}/echo/x`)).json().url, '/one/x');
        await space.write('gateway.config.ts', source('/two'));
        await waitUntil(() => gateway.generation === 2);
        assert.equal((await call(`${url}/echo/x`)).json().url, '/two/x');
      } finally {
        await gateway.close({ graceMs: 100 });
      }
    } finally {
      await space.dispose();
    }
  });

  it('runs as `switchyard gateway`, reloads on change and drains on SIGTERM', async () => {
    const space = await workspace();
    try {
      const file = await space.write('gateway.yaml', {
        routes: [{ name: 'echo', match: { path: '/echo/*' }, proxy: { url: `http://${echo.address}` } }],
        discovery: { static: {} },
        accessLog: { destination: join(space.dir, 'access.log') },
      });
      const cli = await spawnProcess(['src/cli/main.ts', 'gateway', '--config', file, '--port', '0']);
      const url = `http://${cli.address}`;
      assert.equal((await call(`${url}/echo/a`)).json().url, '/echo/a');
      await space.write('gateway.yaml', {
        routes: [
          {
            name: 'echo',
            match: { path: '/echo/*' },
            proxy: { url: `http://${echo.address}`, rewrite: '/b' },
          },
        ],
        discovery: { static: {} },
      });
      await cli.waitFor(/configuration reloaded \(generation 2/);
      assert.equal((await call(`${url}/echo/a`)).json().url, '/b/a');
      const slow = call(`${url}/echo/slow/400`);
      await sleep(100);
      cli.child.kill('SIGTERM');
      assert.equal((await slow).status, 200, 'the request in flight finished');
      await cli.waitFor(/gateway stopped/);
      const code = cli.child.exitCode ?? (await once(cli.child, 'exit'))[0];
      assert.equal(code, 0);
      const log = (await readFile(join(space.dir, 'access.log'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(log[0].path, '/echo/a');
      assert.equal(log[0].status, 200);
      assert.equal(log[0].route, 'echo');
      assert.match(log[0].traceId, /^[0-9a-f]{32}$/);
      assert.ok(log[0].requestId && log[0].upstream && typeof log[0].durationMs === 'number');
    } finally {
      await space.dispose();
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(20);
  }
}
