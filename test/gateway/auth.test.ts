import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey, startDevIssuer, type DevIssuer } from '../../src/gateway/auth/index.js';
import { assertProblem, call, callsTo, fixtureContracts, gatewayInFront } from './support.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('gateway authentication and authorization', { timeout: 60_000 }, () => {
  let issuer: DevIssuer;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  before(async () => {
    issuer = await startDevIssuer({ audience: 'shop-api' });
  });
  after(() => issuer?.close());
  const gw = gatewayInFront({
    env: { SERVICES: 'orders1,profiles', INSTANCE: 'a1' },
    config: (backend) => ({
      contracts: [fixtureContracts(['gw-orders@1', 'gw-profiles'])],
      discovery: { static: { 'gw-orders': [backend], 'gw-profiles': [backend] } },
      auth: {
        jwt: issuer.jwtConfig(),
        apiKeys: { keys: [{ id: 'partner', hash: hashApiKey('partner-secret'), scopes: ['orders:read'] }] },
      },
      routes: [
        { contract: 'gw-orders@1', policies: { auth: true } },
        { operation: 'gw-orders@1.createOrder', policies: { auth: { scopes: ['orders:write'] } } },
        { operation: 'gw-orders@1.findOrders', policies: { auth: { roles: ['support', 'admin'] } } },
      ],
    }),
  });

  const order = { consumerId: 'c-1', items: [{ sku: 'x', qty: 1 }] };
  const reason = (problem: { details: { reason: string } }) => problem.details.reason;

  it('lets a valid token with the scope through, and passes the identity on', async () => {
    const token = await issuer.mint({ subject: 'alice', scopes: ['orders:write'], roles: ['customer'] });
    const answer = await call(`${gw.url}/v1/orders`, {
      method: 'POST',
      body: order,
      headers: {
        ...bearer(token),
        'x-identity-subject': 'mallory',
        'x-identity-roles': 'admin',
        'sy-meta-x-identity-subject': 'eve',
      },
    });
    assert.equal(answer.status, 200, answer.text);
    const seen = JSON.parse(
      callsTo(gw.backend, 'gw-orders@1.createOrder').at(-1)!.split(' ').slice(2).join(' '),
    );
    assert.equal(seen['x-identity-subject'], 'alice', 'the gateway identity, not the forged one');
    assert.equal(seen['x-identity-method'], 'jwt');
    assert.equal(seen['x-identity-roles'], 'customer');
  });

  it('refuses every bad credential with 401 problem+json before the service', async () => {
    const before = callsTo(gw.backend, 'gw-orders@1.createOrder').length;
    const post = (headers: Record<string, string>) =>
      call(`${gw.url}/v1/orders`, { method: 'POST', body: order, headers });
    assert.equal(reason(assertProblem(await post({}), 401, 'UNAUTHENTICATED')), 'missing-credentials');
    const expired = await issuer.mint({ subject: 'alice', scopes: ['orders:write'], expiresIn: -3600 });
    assert.equal(reason(assertProblem(await post(bearer(expired)), 401, 'UNAUTHENTICATED')), 'expired');
    const early = await issuer.mint({ subject: 'alice', scopes: ['orders:write'], notBefore: 3600 });
    assert.equal(reason(assertProblem(await post(bearer(early)), 401, 'UNAUTHENTICATED')), 'not-yet-valid');
    const otherApi = await issuer.mint({
      subject: 'alice',
      scopes: ['orders:write'],
      audience: 'billing-api',
    });
    assert.equal(
      reason(assertProblem(await post(bearer(otherApi)), 401, 'UNAUTHENTICATED')),
      'wrong-audience',
    );
    const otherIssuer = await issuer.mint({
      subject: 'alice',
      scopes: ['orders:write'],
      issuer: 'https://evil.example',
    });
    assert.equal(
      reason(assertProblem(await post(bearer(otherIssuer)), 401, 'UNAUTHENTICATED')),
      'wrong-issuer',
    );
    const good = await issuer.mint({ subject: 'alice', scopes: ['orders:write'] });
    const [header, payload] = good.split('.');
    const tampered = `${header}.${b64({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'admin' })}.${good.split('.')[2]}`;
    assert.equal(
      reason(assertProblem(await post(bearer(tampered)), 401, 'UNAUTHENTICATED')),
      'bad-signature',
    );
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    assert.equal(reason(assertProblem(await post(bearer(none)), 401, 'UNAUTHENTICATED')), 'alg-none');
    assert.equal(
      reason(assertProblem(await post({ 'x-api-key': 'guessed' }), 401, 'UNAUTHENTICATED')),
      'unknown-api-key',
    );
    assert.equal(
      reason(assertProblem(await post({ authorization: 'Basic YTpi' }), 401, 'UNAUTHENTICATED')),
      'unsupported-scheme',
    );
    assert.equal(callsTo(gw.backend, 'gw-orders@1.createOrder').length, before, 'none reached the service');
  });

  it('refuses missing scopes and roles with 403', async () => {
    const reader = await issuer.mint({ subject: 'bob', scopes: ['orders:read'] });
    const problem = assertProblem(
      await call(`${gw.url}/v1/orders`, { method: 'POST', body: order, headers: bearer(reader) }),
      403,
      'PERMISSION_DENIED',
    );
    assert.deepEqual(problem.details.missingScopes, ['orders:write']);
    assertProblem(
      await call(`${gw.url}/v1/orders?consumerId=c-1`, { headers: bearer(reader) }),
      403,
      'PERMISSION_DENIED',
    );
    const support = await issuer.mint({ subject: 'sue', roles: ['support'] });
    assert.equal(
      (await call(`${gw.url}/v1/orders?consumerId=c-1`, { headers: bearer(support) })).status,
      200,
    );
  });

  it('accepts API keys, and checks credentials sent to public routes too', async () => {
    const byKey = await call(`${gw.url}/v1/orders?consumerId=c-1`, {
      headers: { 'x-api-key': 'partner-secret' },
    });
    assertProblem(byKey, 403, 'PERMISSION_DENIED');
    const created = (
      await call(`${gw.url}/v1/orders`, {
        method: 'POST',
        body: order,
        headers: bearer(await issuer.mint({ subject: 'alice', scopes: ['orders:write'] })),
      })
    ).json();
    const read = await call(`${gw.url}/v1/orders/${created.orderId}`, {
      headers: { 'x-api-key': 'partner-secret' },
    });
    assert.equal(read.status, 200, read.text);
    const seen = JSON.parse(
      callsTo(gw.backend, 'gw-orders@1.getOrder').at(-1)!.split(' ').slice(2).join(' '),
    );
    assert.equal(seen['x-identity-method'], 'api-key');
    assert.equal(seen['x-identity-client-id'], 'partner');

    assert.equal(
      (await call(`${gw.url}/v1/profiles/u-1`)).status,
      200,
      'anonymous callers may use public routes',
    );
    assertProblem(
      await call(`${gw.url}/v1/profiles/u-1`, { headers: { 'x-api-key': 'wrong' } }),
      401,
      'UNAUTHENTICATED',
    );
  });
});
