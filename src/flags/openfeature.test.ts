import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCode, OpenFeature, ProviderEvents, type EventDetails } from '@openfeature/server-sdk';
import { createFlags } from './flags.js';
import { switchyardProvider } from './openfeature.js';

/** The promise, or a failure after `ms` (the timer also keeps the process alive while waiting). */
function within<T>(promise: Promise<T>, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const dir = mkdtempSync(join(tmpdir(), 'switchyard-openfeature-'));
after(async () => {
  await OpenFeature.close();
  rmSync(dir, { recursive: true, force: true });
});

const yaml = (share: number) => `flags:
  new-search:
    rollout: { on: ${share} }
  checkout:
    variants: { classic: classic, express: express }
    defaultVariant: classic
    rules:
      - when: [{ attribute: country, in: [DE, AT] }]
        variant: express
  limits:
    variants: { small: 10, large: 100 }
    defaultVariant: small
    rules:
      - when: [{ attribute: plan, equals: pro }]
        variant: large
  theme:
    variants: { light: { background: white }, dark: { background: black } }
    defaultVariant: dark
`;

describe('OpenFeature provider', () => {
  it('evaluates the same flags through the OpenFeature client', async () => {
    const path = join(dir, 'flags.yaml');
    writeFileSync(path, yaml(10));
    const flags = createFlags({ file: path, debounceMs: 20 });
    const domain = `switchyard-${randomUUID()}`;
    await OpenFeature.setProviderAndWait(domain, switchyardProvider(flags));
    const client = OpenFeature.getClient(domain);
    try {
      const details = await client.getStringDetails('checkout', 'none', {
        targetingKey: 'u1',
        country: 'AT',
      });
      assert.equal(details.value, 'express');
      assert.equal(details.variant, 'express');
      assert.equal(details.reason, 'TARGETING_MATCH');
      assert.equal(await client.getStringValue('checkout', 'none', { country: 'FR' }), 'classic');
      assert.equal(await client.getNumberValue('limits', 0, { plan: 'pro' }), 100);
      assert.deepEqual(await client.getObjectValue('theme', {}), { background: 'black' });

      // Same answers as the gateway's own evaluation, user by user.
      const users = Array.from({ length: 500 }, (_, i) => `user-${i}`);
      for (const targetingKey of users)
        assert.equal(
          await client.getBooleanValue('new-search', false, { targetingKey }),
          flags.isEnabled('new-search', { targetingKey }),
        );

      const missing = await client.getBooleanDetails('nope', true);
      assert.equal(missing.value, true);
      assert.equal(missing.errorCode, ErrorCode.FLAG_NOT_FOUND);
      const mismatch = await client.getNumberDetails('checkout', 7);
      assert.equal(mismatch.value, 7);
      assert.equal(mismatch.errorCode, ErrorCode.TYPE_MISMATCH);

      const changed = new Promise<EventDetails | undefined>((resolve) =>
        client.addHandler(ProviderEvents.ConfigurationChanged, resolve),
      );
      writeFileSync(path, yaml(100));
      assert.deepEqual((await within(changed))?.flagsChanged, ['new-search']);
      assert.equal(await client.getBooleanValue('new-search', false, { targetingKey: 'anyone' }), true);

      const stale = new Promise<EventDetails | undefined>((resolve) =>
        client.addHandler(ProviderEvents.Stale, resolve),
      );
      writeFileSync(path, 'flags: [');
      await within(stale);
      assert.equal(await client.getBooleanValue('new-search', false, { targetingKey: 'anyone' }), true);
      const ready = new Promise<EventDetails | undefined>((resolve) =>
        client.addHandler(ProviderEvents.Ready, resolve),
      );
      writeFileSync(path, yaml(100));
      await within(ready);
    } finally {
      await flags.close();
    }
  });
});
