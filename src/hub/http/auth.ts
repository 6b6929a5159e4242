import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { SwitchyardError } from '../../errors/index.js';

/**
 * Checks `authorization: Bearer <token>` on writes. Both sides are hashed first, so the comparison
 * takes the same time whatever the length or content of a guess.
 */
export function tokenGuard(token: string | undefined): (req: IncomingMessage) => void {
  if (token === undefined) return () => undefined;
  const expected = digest(token);
  return (req) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) throw unauthenticated('this hub requires a token to register or deregister');
    if (!timingSafeEqual(digest(match[1]!), expected)) throw unauthenticated('the token is not valid');
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function unauthenticated(message: string): SwitchyardError {
  return new SwitchyardError('UNAUTHENTICATED', `${message}: send authorization: Bearer <token>`);
}

/** Whether a listen address keeps the hub to this machine (then a token is optional). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return /^::ffff:127\./i.test(bare);
}
