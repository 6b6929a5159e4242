import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHubProcess, type HubProcess } from '../discovery/hub-process.js';
import { assertProblem, call, fixtures, spawnFixture, startGateway, stopAll, type Proc } from './support.js';

const contracts = join(fixtures, 'contracts.ts');

describe('gateway upstreams: discovery, balancing, gRPC, resilience', { timeout: 90_000 }, () => {
  let hub: HubProcess;
  let a: Proc;
  let echo: Proc;

  before(async () => {
    hub = await startHubProcess(['--no-checks']);
    [a, , echo] = await Promise.all([
      spawnFixture('backend', { SERVICES: 'profiles', INSTANCE: 'p-a', HUB_URL: hub.url }),
      spawnFixture('backend', {
        SERVICES: 'profiles',
        INSTANCE: 'p-b',
        HUB_URL: hub.url,
        FAIL: 'getRecommendations',
      }),
      spawnFixture('echo-server'),
    ]);
  });
  after(async () => {
    await stopAll();
    await hub?.dispose();
  });

  it('finds instances through the hub and balances over them, retrying idempotent calls elsewhere', async () => {
    const gw = await startGateway({
      contracts: [{ module: contracts, only: ['gw-profiles'] }],
      discovery: { hub: hub.url },
    });
    try {
      const servedBy = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const answer = await call(`${gw.url}/v1/profiles/u-${i}`);
        assert.equal(answer.status, 200, answer.text);
        servedBy.add(answer.json().servedBy);
      }
      assert.deepEqual([...servedBy].sort(), ['p-a', 'p-b']);
      // p-b fails this idempotent operation: every request still succeeds on p-a.
      for (let i = 0; i < 20; i++) {
        const answer = await call(`${gw.url}/v1/profiles/u-${i}/recommendations`);
        assert.equal(answer.status, 200, answer.text);
      }
    } finally {
      await gw.close();
    }
  });

  it('calls services over gRPC with the contract protobuf when configured', async () => {
    const grpcAddress = /grpc:\/\/([^\s,]+)/.exec(a.lines.find((l) => l.includes('grpc://'))!)![1]!;
    const gw = await startGateway({
      contracts: [{ module: contracts, only: ['gw-profiles'], protocol: 'grpc' }],
      // Only the gRPC endpoint is known: an answer proves the call went over gRPC.
      discovery: { static: { 'gw-profiles': [{ address: grpcAddress, protocol: 'grpc' }] } },
    });
    try {
      const answer = await call(`${gw.url}/v1/profiles/u-7`, { headers: { 'x-request-id': 'grpc-1' } });
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.json(), { userId: 'u-7', name: 'user u-7', servedBy: 'p-a' });
      assert.equal(answer.headers['content-type'], 'application/json');
      const count = await call(`${gw.url}/v1/profiles/u-7/recommendations?count=2`);
      assert.deepEqual(count.json(), { items: ['a', 'b'] });
      assertProblem(await call(`${gw.url}/v1/profiles/u-7/recommendations?count=x`), 400, 'INVALID_ARGUMENT');
    } finally {
      await gw.close();
    }
  });

  it('retries only idempotent methods, times out by route policy and reports upstream failures as problems', async () => {
    const gw = await startGateway({
      discovery: { static: {} },
      resilience: {
        default: {
          timeoutMs: 2000,
          retry: { maxAttempts: 3, backoff: { initialMs: 5, maxMs: 10, multiplier: 2 } },
        },
      },
      routes: [
        { name: 'echo', match: { path: '/echo/*' }, proxy: { url: `http://${echo.address}` } },
        {
          name: 'quick',
          match: { path: '/quick/*' },
          proxy: { url: `http://${echo.address}` },
          policies: { timeoutMs: 200 },
        },
      ],
    });
    const hits = (path: string) => echo.lines.filter((l) => l.endsWith(` ${path}`)).length;
    try {
      assertProblem(await call(`${gw.url}/echo/status/503`), 503, 'UNAVAILABLE');
      assert.equal(hits('/echo/status/503'), 3, 'GET is retried');
      assertProblem(
        await call(`${gw.url}/echo/status/503?p`, { method: 'POST', body: {} }),
        503,
        'UNAVAILABLE',
      );
      assert.equal(hits('/echo/status/503?p'), 1, 'POST is not');
      const notFound = await call(`${gw.url}/echo/status/404`);
      assert.equal(notFound.status, 404, 'a 4xx of the upstream is its answer, passed on');
      assert.equal(hits('/echo/status/404'), 1);

      const slow = assertProblem(await call(`${gw.url}/quick/slow/1500`), 504, 'DEADLINE_EXCEEDED');
      assert.ok(slow.detail);
      const quick = (await call(`${gw.url}/quick/slow/10`)).json();
      const budget = Number(quick.headers['ce-timeout']);
      assert.ok(budget > 0 && budget <= 200, `the upstream is told the time left: ${budget}`);
    } finally {
      await gw.close();
    }
  });
});
