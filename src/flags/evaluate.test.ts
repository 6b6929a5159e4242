import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { createFlags } from './flags.js';
import type { FlagDocument } from './types.js';

const users = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);

const document: FlagDocument = {
  flags: {
    'dark-mode': { defaultVariant: 'on' },
    'beta-banner': { enabled: false, defaultVariant: 'on' },
    checkout: {
      variants: { classic: 'classic', express: 'express', oneclick: 'one-click' },
      defaultVariant: 'classic',
      rules: [
        { when: [{ attribute: 'plan', equals: 'enterprise' }], variant: 'oneclick' },
        {
          when: [
            { attribute: 'country', in: ['DE', 'AT'] },
            { attribute: 'age', gte: 18 },
          ],
          variant: 'express',
        },
        { when: [{ attribute: 'email', endsWith: '@example.com' }], rollout: { express: 50 } },
      ],
    },
    'new-search': { rollout: { on: 10 } },
    'tenant-feature': { rollout: { on: 50 }, stickiness: 'tenantId' },
    'staff-tools': {
      rules: [
        { when: [{ attribute: 'roles', contains: 'staff' }], variant: 'on' },
        { when: [{ attribute: 'targetingKey', startsWith: 'ops-' }], variant: 'on' },
      ],
    },
  },
};

describe('flag evaluation', () => {
  const flags = createFlags(document);

  it('serves static, disabled and unknown flags with their reasons', () => {
    assert.deepEqual(flags.evaluate('dark-mode'), {
      key: 'dark-mode',
      value: true,
      variant: 'on',
      reason: 'STATIC',
    });
    assert.deepEqual(flags.evaluate('beta-banner'), {
      key: 'beta-banner',
      value: true,
      variant: 'on',
      reason: 'DISABLED',
    });
    const unknown = flags.evaluate('nope');
    assert.equal(unknown.reason, 'ERROR');
    assert.equal(unknown.errorCode, 'FLAG_NOT_FOUND');
    assert.equal(unknown.value, undefined);
    assert.equal(flags.isEnabled('dark-mode'), true);
    assert.equal(flags.isEnabled('nope'), false);
    assert.equal(flags.isEnabled('checkout'), false);
  });

  it('applies the first targeting rule that holds', () => {
    const checkout = (attributes: Record<string, string | number | boolean>) => {
      const { value, reason } = flags.evaluate('checkout', { targetingKey: 'u1', attributes });
      return `${value}/${reason}`;
    };
    assert.equal(checkout({ plan: 'enterprise', country: 'DE', age: 30 }), 'one-click/TARGETING_MATCH');
    assert.equal(checkout({ country: 'AT', age: 18 }), 'express/TARGETING_MATCH');
    assert.equal(checkout({ country: 'AT', age: 17 }), 'classic/DEFAULT');
    assert.equal(
      checkout({ country: 'AT', age: '30' }),
      'classic/DEFAULT',
      'numbers compare as numbers only',
    );
    assert.equal(checkout({ country: 'FR' }), 'classic/DEFAULT');
    assert.equal(checkout({}), 'classic/DEFAULT', 'a missing attribute matches nothing');
    assert.match(checkout({ email: 'a@example.com' }), /^(express|classic)\/SPLIT$/);
  });

  it('matches list attributes by membership and the targeting key by name', () => {
    const staff = (context: Parameters<typeof flags.isEnabled>[1]) => flags.isEnabled('staff-tools', context);
    assert.equal(staff({ attributes: { roles: ['staff', 'admin'] } }), true);
    assert.equal(staff({ attributes: { roles: ['customer'] } }), false);
    assert.equal(staff({ attributes: { roles: 'chief-of-staff' } }), true, 'a string contains a substring');
    assert.equal(staff({ targetingKey: 'ops-7' }), true);
    assert.equal(staff({ targetingKey: 'dev-7' }), false);
    assert.equal(flags.evaluate('checkout', { attributes: { country: ['DE'] as never } }).reason, 'DEFAULT');
  });

  it('rolls 10% of 10 000 users out, the same users every time', () => {
    const on = users.filter((u) => flags.isEnabled('new-search', { targetingKey: u }));
    assert.ok(Math.abs(on.length - 1000) <= 60, `${on.length} of 10 000 got the rollout`);
    for (const u of users.slice(0, 2000))
      assert.equal(flags.isEnabled('new-search', { targetingKey: u }), on.includes(u));
    assert.equal(flags.evaluate('new-search', { targetingKey: on[0]! }).reason, 'SPLIT');
  });

  it('keeps everyone who had a rollout when its share grows', () => {
    const at = (share: number) => createFlags({ flags: { f: { rollout: { on: share } } } });
    const ten = at(10);
    const thirty = at(30);
    const before = users.filter((u) => ten.isEnabled('f', { targetingKey: u }));
    const after = users.filter((u) => thirty.isEnabled('f', { targetingKey: u }));
    assert.ok(Math.abs(after.length - 3000) <= 100, `${after.length}`);
    assert.ok(before.every((u) => thirty.isEnabled('f', { targetingKey: u })));
  });

  it('buckets by the flag stickiness, then the targeting key, then the session, else at random', () => {
    const tenant = (tenantId: string, targetingKey: string) =>
      flags.isEnabled('tenant-feature', { targetingKey, attributes: { tenantId } });
    const tenants = Array.from({ length: 50 }, (_, i) => `t${i}`);
    for (const t of tenants) {
      const first = tenant(t, 'a');
      for (const user of ['b', 'c', 'd']) assert.equal(tenant(t, user), first, 'everyone of a tenant alike');
    }
    const bySession = (sessionId: string) => flags.isEnabled('new-search', { attributes: { sessionId } });
    const sessions = users.slice(0, 200).map((_, i) => `s${i}`);
    assert.deepEqual(sessions.map(bySession), sessions.map(bySession));
    const draws = new Set(Array.from({ length: 400 }, () => flags.isEnabled('new-search')));
    assert.deepEqual(draws, new Set([true, false]), 'no stickiness: a fresh draw each time');
  });

  it('gives the same buckets in another process', async () => {
    const here = users.filter((u) => flags.isEnabled('new-search', { targetingKey: u }));
    const module = fileURLToPath(new URL('./flags.ts', import.meta.url));
    const script = `
      const { createFlags } = await import(${JSON.stringify(module)});
      const flags = createFlags({ flags: { 'new-search': { rollout: { on: 10 } } } });
      const users = Array.from({ length: 10000 }, (_, i) => 'user-' + i);
      process.stdout.write(JSON.stringify(users.filter((u) => flags.isEnabled('new-search', { targetingKey: u }))));`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
      { timeout: 20_000 },
    );
    assert.deepEqual(JSON.parse(stdout), here);
  });
});
