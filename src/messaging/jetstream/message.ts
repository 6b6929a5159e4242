import type { MsgHdrs } from 'nats';

/**
 * The envelope id (`Nats-Msg-Id`) and the application's headers of a stored message. Nats-Expected-Stream
 * and the other `Nats-` headers are the engine's, not the application's.
 */
export function applicationHeaders(stored: MsgHdrs | undefined): {
  id: string;
  headers: Record<string, string>;
} {
  const headers: Record<string, string> = {};
  let id = '';
  for (const key of stored?.keys() ?? []) {
    const value = stored!.get(key);
    if (key.toLowerCase() === 'nats-msg-id') id = value;
    else if (!key.toLowerCase().startsWith('nats-')) headers[key] = value;
  }
  return { id, headers };
}
