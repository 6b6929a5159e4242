import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { startDevIssuer, type DevIssuer } from '../../src/gateway/auth/index.js';
import {
  assertProblem,
  call,
  fixtures,
  spawnFixture,
  startGateway,
  stopAll,
  workspace,
  type Proc,
} from './support.js';

const contracts = join(fixtures, 'contracts.ts');

describe('gateway rate limits and feature flags', { timeout: 90_000 }, () => {
  let issuer: DevIssuer;
  let stable: Proc;
  let canary: Proc;

  before(async () => {
    issuer = await startDevIssuer();
    [stable, canary] = await Promise.all([
      spawnFixture('backend', { SERVICES: 'profiles', INSTANCE: 'stable' }),
      spawnFixture('backend', { SERVICES: 'profiles', INSTANCE: 'canary' }),
    ]);
  });
  after(async () => {
    await issuer?.close();
    await stopAll();
  });

  it('limits each caller per route after authentication, with RateLimit and Retry-After headers', async () => {
    const gw = await startGateway({
      contracts: [{ module: contracts, only: ['gw-profiles'] }],
      discovery: { static: { 'gw-profiles': [stable.address] } },
      auth: { jwt: issuer.jwtConfig() },
      routes: [
        { operation: 'gw-profiles@1.getProfile', policies: { rateLimit: { limit: 3, windowMs: 60_000 } } },
      ],
    });
    try {
      const alice = { authorization: `Bearer ${await issuer.mint({ subject: 'alice' })}` };
      const bob = { authorization: `Bearer ${await issuer.mint({ subject: 'bob' })}` };
      for (let i = 0; i < 3; i++) {
        const ok = await call(`${gw.url}/v1/profiles/u-1`, { headers: alice });
        assert.equal(ok.status, 200);
        assert.equal(ok.headers['ratelimit-remaining'], String(2 - i));
      }
      const limited = await call(`${gw.url}/v1/profiles/u-1`, { headers: alice });
      assertProblem(limited, 429, 'RESOURCE_EXHAUSTED');
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      assert.equal(limited.headers['ratelimit-limit'], '3');
      assert.equal(
        (await call(`${gw.url}/v1/profiles/u-1`, { headers: bob })).status,
        200,
        'another subject has its own limit',
      );
      assert.equal(
        (await call(`${gw.url}/v1/profiles/u-1/recommendations`, { headers: alice })).status,
        200,
        'another route too',
      );
      const badToken = await call(`${gw.url}/v1/profiles/u-1`, { headers: { authorization: 'Bearer nope' } });
      assertProblem(badToken, 401, 'UNAUTHENTICATED');
      assert.match(
        (await call(`${gw.url}/metrics`)).text,
        /switchyard_gateway_rate_limited_total\{route="gw-profiles@1\.getProfile",process="gateway"\} 1/,
      );
    } finally {
      await gw.close();
    }
  });

  it('enforces one limit across two gateways sharing Redis', async () => {
    const config = {
      contracts: [{ module: contracts, only: ['gw-profiles'] }],
      discovery: { static: { 'gw-profiles': [stable.address] } },
      rateLimit: {
        store: 'redis',
        redis: { url: 'redis://127.0.0.1:6379', prefix: `test:gw:${randomUUID()}:` },
      },
      policies: { rateLimit: { limit: 10, windowMs: 60_000, by: 'ip' } },
    };
    const [one, two] = await Promise.all([startGateway(config), startGateway(config)]);
    try {
      const answers = await Promise.all(
        [...Array(40)].map((_, i) => call(`${(i % 2 ? one : two).url}/v1/profiles/u-${i}`)),
      );
      const admitted = answers.filter((a) => a.status === 200).length;
      const refused = answers.filter((a) => a.status === 429).length;
      assert.equal(admitted + refused, 40);
      // 10 per minute with a burst of 10: within this test's second, one emission interval at most refills.
      assert.ok(admitted >= 10 && admitted <= 11, `${admitted} admitted across both gateways`);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('moves traffic to canary instances by the percentage of a flag, sticky per caller', async () => {
    const space = await workspace();
    const flagsFile = await space.write('flags.yaml', {
      flags: { 'profiles-canary': { rollout: { on: 30 } } },
    });
    const gw = await startGateway({
      contracts: [{ module: contracts, only: ['gw-profiles'] }],
      discovery: {
        static: {
          'gw-profiles': [
            { address: stable.address, version: '1.0.0' },
            { address: canary.address, version: '1.1.0' },
          ],
        },
      },
      flags: { file: flagsFile },
      routes: [
        {
          operation: 'gw-profiles@1.getProfile',
          policies: { canary: { flag: 'profiles-canary', version: '1.1.0' } },
        },
      ],
    });
    const servedBy = async (session: string) =>
      (await call(`${gw.url}/v1/profiles/u-1`, { headers: { 'x-session-id': session } })).json()
        .servedBy as string;
    /** Share of `n` callers (sessions) sent to the canary. */
    const share = async (n: number) => {
      let toCanary = 0;
      for (let i = 0; i < n; i += 20) {
        const batch = await Promise.all([...Array(20)].map((_, j) => servedBy(`session-${i + j}`)));
        toCanary += batch.filter((name) => name === 'canary').length;
      }
      return toCanary / n;
    };
    try {
      const first = await share(200);
      assert.ok(first > 0.15 && first < 0.45, `canary share ${first} for a 30% rollout`);
      const bucketed = await servedBy('session-7');
      for (let i = 0; i < 5; i++)
        assert.equal(await servedBy('session-7'), bucketed, 'a caller stays where it was bucketed');
      await writeFile(flagsFile, stringify({ flags: { 'profiles-canary': { rollout: { on: 100 } } } }));
      await waitFor(async () => (await share(20)) === 1);
      assert.equal(await share(200), 1);
      await writeFile(flagsFile, stringify({ flags: { 'profiles-canary': { rollout: { on: 0 } } } }));
      await waitFor(async () => (await share(20)) === 0);
      assert.equal(await share(100), 0);
    } finally {
      await gw.close();
      await space.dispose();
    }
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(100);
  }
}
