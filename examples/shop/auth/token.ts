import { mintDevToken } from './dev-tokens.js';

// Prints a development bearer token for the shop's gateway: `npx tsx examples/shop/auth/token.ts c-alice [admin]`.
const [subject = 'c-alice', role] = process.argv.slice(2);
process.stdout.write(
  `${await mintDevToken({ subject, ...(role ? { roles: [role], scopes: ['orders:read', 'orders:write', 'menus:write'] } : {}) })}\n`,
);
