import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { SwitchyardError } from '../../errors/index.js';
import { createAuthenticator } from './authenticator.js';
import { startDevIssuer, type DevIssuer } from './dev-issuer.js';
import type { Authenticator, AuthFailureReason } from './types.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function rejects(auth: Authenticator, headers: Record<string, string>, reason: AuthFailureReason) {
  await assert.rejects(auth.authenticate(headers), (error) => {
    assert.ok(SwitchyardError.is(error, 'UNAUTHENTICATED'), `UNAUTHENTICATED, got ${String(error)}`);
    assert.equal(error.details.reason, reason, error.message);
    assert.equal(error.httpStatus, 401);
    return true;
  });
}

/** An HS256 token "signed" with `secret`: how algorithm confusion is attempted. */
function hs256(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string | Buffer) {
  const input = `${b64({ alg: 'HS256', typ: 'JWT', ...header })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

describe('JWT authentication against a JWKS', () => {
  let issuer: DevIssuer;
  let auth: Authenticator;
  before(async () => {
    issuer = await startDevIssuer();
    auth = createAuthenticator({ jwt: { ...issuer.jwtConfig(), jwksCooldownMs: 300 } });
  });
  after(async () => {
    await auth.close();
    await issuer.close();
  });

  it('turns a valid token into an identity, and no credentials into none', async () => {
    const token = await issuer.mint({
      subject: 'user-1',
      scopes: ['orders:read', 'orders:write'],
      roles: ['admin'],
      claims: { azp: 'web-app' },
    });
    assert.deepEqual(await auth.authenticate(bearer(token)), {
      subject: 'user-1',
      scopes: ['orders:read', 'orders:write'],
      roles: ['admin'],
      method: 'jwt',
      clientId: 'web-app',
    });
    const plain = await auth.authenticate({
      authorization: `bearer ${await issuer.mint({ subject: 'u2' })}`,
    });
    assert.deepEqual(plain, { subject: 'u2', scopes: [], roles: [], method: 'jwt', clientId: 'u2' });
    assert.equal(await auth.authenticate({ host: 'x' }), undefined);
  });

  it('rejects malformed credentials', async () => {
    const token = await issuer.mint({ subject: 'u' });
    await rejects(auth, { authorization: 'Bearer' }, 'malformed');
    await rejects(auth, { authorization: 'Bearer not-a-jwt' }, 'malformed');
    await rejects(auth, { authorization: 'Bearer a.b.c' }, 'malformed');
    await rejects(auth, { authorization: `Bearer ${token} extra` }, 'malformed');
    await rejects(auth, { authorization: `Bearer ${token}.x.y` }, 'malformed');
    await rejects(auth, { authorization: 'Basic dXNlcjpwYXNz' }, 'unsupported-scheme');
    await rejects(
      auth,
      { authorization: `Bearer ${b64({ kid: issuer.kid })}.${b64({ sub: 'u' })}.sig` },
      'malformed',
    );
    await rejects(auth, bearer(`${token.split('.')[0]}.!!!.${token.split('.')[2]}`), 'malformed');
    await rejects(auth, { ...bearer(token), 'x-api-key': 'k' }, 'multiple-credentials');
    await rejects(auth, { 'x-api-key': 'k' }, 'api-key-not-accepted');
  });

  it('rejects a token whose signature does not match its content', async () => {
    const [header, , signature] = (await issuer.mint({ subject: 'alice' })).split('.');
    const [, payload] = (await issuer.mint({ subject: 'mallory', roles: ['admin'] })).split('.');
    await rejects(auth, bearer(`${header}.${payload}.${signature}`), 'bad-signature');
  });

  it('checks expiry and not-before with a clock-skew allowance', async () => {
    await rejects(auth, bearer(await issuer.mint({ subject: 'u', expiresIn: -60 })), 'expired');
    assert.ok(await auth.authenticate(bearer(await issuer.mint({ subject: 'u', expiresIn: -10 }))));
    await rejects(auth, bearer(await issuer.mint({ subject: 'u', notBefore: 60 })), 'not-yet-valid');
    assert.ok(await auth.authenticate(bearer(await issuer.mint({ subject: 'u', notBefore: 10 }))));
  });

  it('rejects the wrong issuer, the wrong audience and missing claims', async () => {
    await rejects(
      auth,
      bearer(await issuer.mint({ subject: 'u', issuer: 'https://elsewhere' })),
      'wrong-issuer',
    );
    await rejects(
      auth,
      bearer(await issuer.mint({ subject: 'u', audience: 'another-api' })),
      'wrong-audience',
    );
    const noSubject = await issuer.mint({ subject: 'u', claims: { sub: undefined } });
    await rejects(auth, bearer(noSubject), 'missing-claim');
    await rejects(auth, bearer(await issuer.mint({ subject: 'u', claims: { scope: 42 } })), 'invalid-claim');
    await rejects(auth, bearer(await issuer.mint({ subject: 'u', claims: { sub: 7 } })), 'invalid-claim');
  });

  it('rejects unsigned tokens (alg: none) in any spelling', async () => {
    const payload = b64({
      sub: 'root',
      iss: issuer.issuer,
      aud: issuer.audience,
      exp: Date.now() / 1000 + 60,
    });
    await rejects(auth, bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`), 'alg-none');
    await rejects(auth, bearer(`${b64({ alg: 'NoNe' })}.${payload}.`), 'alg-none');
  });

  it('rejects algorithm confusion: HS256 keyed with the published public key', async () => {
    const jwk = (await (await fetch(issuer.jwksUrl)).json()) as { keys: Array<Record<string, unknown>> };
    const claims = {
      sub: 'root',
      iss: issuer.issuer,
      aud: issuer.audience,
      exp: Math.floor(Date.now() / 1000) + 60,
    };
    const forged = hs256({ kid: issuer.kid }, claims, JSON.stringify(jwk.keys[0]));
    await rejects(auth, bearer(forged), 'algorithm-not-allowed');
    // Even when HS256 is allowed, a published (public) key never verifies an HMAC.
    const lax = createAuthenticator({ jwt: { ...issuer.jwtConfig(), algorithms: ['ES256', 'HS256'] } });
    await rejects(lax, bearer(forged), 'algorithm-mismatch');
  });

  it('rejects an unknown kid, refetching the JWKS at most once per cooldown', async () => {
    const stranger = await generateKeyPair('ES256');
    const sign = (kid: string) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid })
        .setSubject('u')
        .setIssuer(issuer.issuer)
        .setAudience(issuer.audience)
        .setExpirationTime('1m')
        .sign(stranger.privateKey);
    await auth.authenticate(bearer(await issuer.mint({ subject: 'warm-up' })));
    await sleep(350);
    const before = issuer.jwksRequests;
    for (let i = 0; i < 5; i++) await rejects(auth, bearer(await sign(randomUUID())), 'unknown-kid');
    assert.equal(issuer.jwksRequests - before, 1, 'one refetch for a burst of unknown kids');
    // A key signed under a published kid but with another key fails the signature, not the lookup.
    await rejects(auth, bearer(await sign(issuer.kid)), 'bad-signature');
  });

  it('picks up a rotated key by refetching on its unknown kid', async () => {
    await sleep(350);
    const kid = await issuer.rotate({ dropPrevious: true });
    const before = issuer.jwksRequests;
    const identity = await auth.authenticate(bearer(await issuer.mint({ subject: 'after-rotation' })));
    assert.equal(identity?.subject, 'after-rotation');
    assert.equal(issuer.kid, kid);
    assert.equal(issuer.jwksRequests - before, 1);
    assert.ok(await auth.authenticate(bearer(await issuer.mint({ subject: 'cached' }))));
    assert.equal(issuer.jwksRequests - before, 1, 'the refreshed set is cached');
  });

  it('refuses a remembered token once it expires', async () => {
    const strict = createAuthenticator({ jwt: { ...issuer.jwtConfig(), clockSkewSeconds: 0 } });
    const token = await issuer.mint({ subject: 'brief', expiresIn: 1 });
    const exp = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number })
      .exp;
    assert.ok(await strict.authenticate(bearer(token)));
    assert.ok(await strict.authenticate(bearer(token)), 'from the cache');
    await sleep(exp * 1000 - Date.now() + 50);
    await rejects(strict, bearer(token), 'expired');
    await rejects(strict, bearer(token), 'expired');
  });

  it('answers UNAVAILABLE when the JWKS cannot be fetched', async () => {
    const gone = await startDevIssuer();
    const token = await gone.mint({ subject: 'u' });
    const unreachable = createAuthenticator({ jwt: { ...gone.jwtConfig(), jwksTimeoutMs: 500 } });
    await gone.close();
    await assert.rejects(unreachable.authenticate(bearer(token)), (e) =>
      SwitchyardError.is(e, 'UNAVAILABLE'),
    );
  });
});

describe('JWT authentication with configured keys', () => {
  it('verifies with a PEM key and an HMAC secret, each bound to its algorithm', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(rsa.publicKey);
    const secret = 'a-shared-secret-of-at-least-32-bytes!';
    const auth = createAuthenticator({
      jwt: {
        issuer: 'https://idp.test',
        audience: ['orders', 'kitchen'],
        keys: [
          { kid: 'rsa-1', alg: 'RS256', pem },
          { kid: 'hmac-1', alg: 'HS256', secret },
        ],
      },
    });
    await auth.ready();
    const claims = { iss: 'https://idp.test', aud: 'kitchen', exp: Math.floor(Date.now() / 1000) + 60 };
    const rs = await new SignJWT({ ...claims, sub: 'svc', scp: ['a', 'b'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .sign(rsa.privateKey);
    assert.deepEqual((await auth.authenticate(bearer(rs)))?.scopes, ['a', 'b']);
    const hs = hs256({ kid: 'hmac-1' }, { ...claims, sub: 'svc' }, secret);
    assert.equal((await auth.authenticate(bearer(hs)))?.subject, 'svc');

    // The classic attack: HS256 under the RSA key's kid, keyed with the RSA public key's PEM.
    await rejects(
      auth,
      bearer(hs256({ kid: 'rsa-1' }, { ...claims, sub: 'root' }, pem)),
      'algorithm-mismatch',
    );
    await rejects(auth, bearer(hs256({ kid: 'nope' }, { ...claims, sub: 'root' }, secret)), 'unknown-kid');
    await rejects(
      auth,
      bearer(hs256({ kid: 'hmac-1' }, { ...claims, sub: 'root' }, 'guess')),
      'bad-signature',
    );
  });

  it('reads roles from a nested claim', async () => {
    const ec = await generateKeyPair('ES256', { extractable: true });
    const auth = createAuthenticator({
      jwt: {
        issuer: 'i',
        audience: 'a',
        keys: [{ alg: 'ES256', jwk: await exportJWK(ec.publicKey) }],
        rolesClaim: 'realm_access.roles',
      },
    });
    const token = await new SignJWT({ realm_access: { roles: ['ops'] } })
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('u')
      .setIssuer('i')
      .setAudience('a')
      .setExpirationTime('1m')
      .sign(ec.privateKey);
    assert.deepEqual((await auth.authenticate(bearer(token)))?.roles, ['ops']);
    const noExpiry = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('u')
      .setIssuer('i')
      .setAudience('a')
      .sign(ec.privateKey);
    await rejects(auth, bearer(noExpiry), 'missing-claim');
  });

  it('refuses bad configuration up front', async () => {
    const invalid = (e: unknown) => SwitchyardError.is(e, 'INVALID_ARGUMENT');
    assert.throws(() => createAuthenticator({}), invalid);
    assert.throws(() => createAuthenticator({ jwt: { issuer: 'i', audience: 'a' } }), invalid);
    assert.throws(
      () => createAuthenticator({ jwt: { jwksUrl: 'http://x', issuer: '', audience: 'a' } }),
      invalid,
    );
    assert.throws(
      () => createAuthenticator({ jwt: { jwksUrl: 'not a url', issuer: 'i', audience: 'a' } }),
      invalid,
    );
    const keys = (key: object) =>
      createAuthenticator({ jwt: { issuer: 'i', audience: 'a', keys: [key as never] } });
    assert.throws(() => keys({ alg: 'RS256', secret: 'x'.repeat(40) }), invalid);
    assert.throws(() => keys({ alg: 'HS256', secret: 'short' }), invalid);
    assert.throws(() => keys({ alg: 'none', secret: 'x'.repeat(40) }), invalid);
    const priv = await generateKeyPair('ES256', { extractable: true });
    await assert.rejects(keys({ alg: 'ES256', jwk: await exportJWK(priv.privateKey) }).ready(), invalid);
    await assert.rejects(keys({ alg: 'ES256', pem: 'garbage' }).ready(), invalid);
  });
});
