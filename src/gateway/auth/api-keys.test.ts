import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import { hashApiKey } from './api-keys.js';
import { createAuthenticator } from './authenticator.js';
import { authorize } from './authorize.js';
import { identityFromHeaders, identityHeaders, stripIdentityHeaders } from './identity-headers.js';
import type { Identity } from './types.js';

const reason =
  (expected: string, code = 'UNAUTHENTICATED') =>
  (error: unknown) => {
    assert.ok(SwitchyardError.is(error), String(error));
    assert.equal(error.code, code);
    if (code === 'UNAUTHENTICATED') assert.equal(error.details.reason, expected);
    return true;
  };

describe('API keys', () => {
  const auth = createAuthenticator({
    apiKeys: {
      keys: [
        { id: 'partner-a', hash: hashApiKey('sk_live_alpha'), scopes: ['orders:read'] },
        {
          id: 'partner-b',
          hash: hashApiKey('sk_live_beta').toUpperCase(),
          subject: 'beta-corp',
          roles: ['partner'],
        },
      ],
    },
  });

  it('accepts a stored key by its hash and names the caller by the key id', async () => {
    assert.deepEqual(await auth.authenticate({ 'x-api-key': 'sk_live_alpha' }), {
      subject: 'partner-a',
      scopes: ['orders:read'],
      roles: [],
      method: 'api-key',
      clientId: 'partner-a',
    });
    const beta = await auth.authenticate({ 'x-api-key': 'sk_live_beta' });
    assert.equal(beta?.subject, 'beta-corp');
    assert.equal(beta?.clientId, 'partner-b');
  });

  it('rejects unknown keys, keys sent twice, and tokens when only keys are configured', async () => {
    await assert.rejects(auth.authenticate({ 'x-api-key': 'sk_live_alph' }), reason('unknown-api-key'));
    await assert.rejects(auth.authenticate({ 'x-api-key': '' }), reason('unknown-api-key'));
    await assert.rejects(
      auth.authenticate({ 'x-api-key': ['sk_live_alpha', 'x'] as unknown as string }),
      reason('multiple-credentials'),
    );
    await assert.rejects(auth.authenticate({ authorization: 'Bearer a.b.c' }), reason('jwt-not-accepted'));
  });

  it('reads the key from a configured header', async () => {
    const custom = createAuthenticator({
      apiKeys: { header: 'X-Client-Key', keys: [{ id: 'k', hash: hashApiKey('secret') }] },
    });
    assert.equal((await custom.authenticate({ 'x-client-key': 'secret' }))?.clientId, 'k');
    assert.equal(await custom.authenticate({ 'x-api-key': 'secret' }), undefined);
  });

  it('refuses keys stored in the clear, without ids, or twice', () => {
    const invalid = (e: unknown) => SwitchyardError.is(e, 'INVALID_ARGUMENT');
    assert.throws(
      () => createAuthenticator({ apiKeys: { keys: [{ id: 'k', hash: 'sk_live_alpha' }] } }),
      invalid,
    );
    assert.throws(
      () => createAuthenticator({ apiKeys: { keys: [{ id: '', hash: hashApiKey('x') }] } }),
      invalid,
    );
    const twice = [
      { id: 'k', hash: hashApiKey('x') },
      { id: 'k', hash: hashApiKey('y') },
    ];
    assert.throws(() => createAuthenticator({ apiKeys: { keys: twice } }), invalid);
  });
});

describe('authorize', () => {
  const alice: Identity = {
    subject: 'alice',
    scopes: ['orders:read', 'orders:write'],
    roles: ['support'],
    method: 'jwt',
    clientId: 'web',
  };

  it('needs a caller, every required scope and any one required role', () => {
    assert.throws(() => authorize(undefined, {}), reason('missing-credentials'));
    authorize(alice, {});
    authorize(alice, { scopes: ['orders:read', 'orders:write'], roles: ['admin', 'support'] });
    assert.throws(
      () => authorize(alice, { scopes: ['orders:read', 'orders:delete'] }),
      (error: unknown) => {
        assert.ok(SwitchyardError.is(error, 'PERMISSION_DENIED'));
        assert.equal(error.httpStatus, 403);
        assert.deepEqual(error.details.missingScopes, ['orders:delete']);
        return true;
      },
    );
    assert.throws(
      () => authorize(alice, { roles: ['admin'] }),
      (error: unknown) =>
        SwitchyardError.is(error, 'PERMISSION_DENIED') && error.details.requiredRoles !== undefined,
    );
  });
});

describe('identity headers', () => {
  it('survive the trip to a service, whatever characters the subject holds', () => {
    const identity: Identity = {
      subject: 'ü\r\nx-identity-roles: admin',
      scopes: ['a b', 'c%'],
      roles: [],
      method: 'api-key',
      clientId: 'partner',
    };
    const headers = identityHeaders(identity);
    for (const value of Object.values(headers)) assert.match(value, /^[\x21-\x7e ]*$/);
    assert.deepEqual(identityFromHeaders(headers), identity);
    assert.deepEqual(identityHeaders(undefined), {});
    assert.equal(identityFromHeaders({}), undefined);
    assert.equal(
      identityFromHeaders({ 'x-identity-subject': 'x', 'x-identity-method': 'forged' }),
      undefined,
    );
  });

  it('are stripped from incoming requests in any case, leaving the rest', () => {
    const incoming: Record<string, unknown> = {
      host: 'api',
      'x-identity-subject': 'root',
      'X-Identity-Roles': 'admin',
      'x-identity-anything-new': '1',
      'x-identityless': 'kept',
    };
    assert.equal(stripIdentityHeaders(incoming), incoming);
    assert.deepEqual(incoming, { host: 'api', 'x-identityless': 'kept' });
  });
});
