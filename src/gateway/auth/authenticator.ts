import type { IncomingHttpHeaders } from 'node:http';
import { apiKeyVerifier } from './api-keys.js';
import { unauthenticated } from './failure.js';
import { jwtVerifier } from './jwt.js';
import { invalidConfig } from './keys.js';
import type { AuthConfig, Authenticator } from './types.js';

/**
 * Builds the authenticator of a gateway from its config. Credentials come as `authorization: Bearer
 * <jwt>` or in the API key header; a request with both is refused, so a client cannot hope the
 * weaker one is checked.
 */
export function createAuthenticator(config: AuthConfig): Authenticator {
  if (!config.jwt && !config.apiKeys) throw invalidConfig('configure jwt, apiKeys or both');
  const jwt = config.jwt ? jwtVerifier(config.jwt) : undefined;
  const apiKeys = config.apiKeys ? apiKeyVerifier(config.apiKeys) : undefined;
  const keyHeader = (config.apiKeys?.header ?? 'x-api-key').toLowerCase();

  return {
    async authenticate(headers: IncomingHttpHeaders) {
      const authorization = headers.authorization;
      const key = headers[keyHeader];
      if (authorization === undefined && key === undefined) return undefined;
      if ((authorization !== undefined && key !== undefined) || Array.isArray(key))
        throw unauthenticated('multiple-credentials', 'send one credential: a bearer token or an API key');
      if (key !== undefined) {
        if (!apiKeys) throw unauthenticated('api-key-not-accepted', 'API keys are not accepted here');
        return apiKeys.verify(key);
      }
      const bearer = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization!);
      if (!bearer) {
        const scheme = /^(\S+)\s+\S/.exec(authorization!)?.[1];
        throw scheme && !/^bearer$/i.test(scheme)
          ? unauthenticated('unsupported-scheme', `the ${scheme} scheme is not accepted: send Bearer <token>`)
          : unauthenticated('malformed', 'the authorization header is malformed: send Bearer <token>');
      }
      if (!jwt) throw unauthenticated('jwt-not-accepted', 'bearer tokens are not accepted here');
      return jwt.verify(bearer[1]!);
    },
    async ready() {
      await jwt?.ready();
    },
    async close() {
      // jose's JWKS cache holds no sockets or timers; nothing to release yet.
    },
  };
}
