import type { IncomingMessage, ServerResponse } from 'node:http';

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: string[],
  url: URL,
) => Promise<void>;

export interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  /** Needs the hub's token when it has one. */
  readonly write?: boolean;
  readonly handle: Handler;
}
