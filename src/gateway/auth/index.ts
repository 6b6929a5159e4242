export type {
  ApiKeyConfig,
  ApiKeyEntry,
  AuthConfig,
  Authenticator,
  AuthFailureReason,
  Identity,
  JwtConfig,
  VerificationKey,
} from './types.js';
export { authFailureReasons } from './types.js';
export { createAuthenticator } from './authenticator.js';
export { authorize, type Requirements } from './authorize.js';
export { hashApiKey } from './api-keys.js';
export {
  identityFromHeaders,
  identityHeaderPrefix,
  identityHeaders,
  stripIdentityHeaders,
} from './identity-headers.js';
export { startDevIssuer, type DevIssuer, type DevIssuerOptions, type MintOptions } from './dev-issuer.js';
