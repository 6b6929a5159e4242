import pino, { type DestinationStream, type Logger } from 'pino';

/** One line per answered request. */
export interface AccessEntry {
  requestId: string;
  method: string;
  path: string;
  route: string | undefined;
  status: number;
  durationMs: number;
  client: string | undefined;
  upstream: string | undefined;
  traceId: string;
  code?: string;
}

export interface AccessLog {
  write(entry: AccessEntry): void;
  /** Writes what is buffered; called on close. */
  flush(): void;
}

/**
 * JSON access logs through pino with an asynchronous destination: lines are buffered and written in
 * the background, so logging costs a request little more than building its object.
 */
export function createAccessLog(destination: string | number | DestinationStream = 1): AccessLog {
  const stream =
    typeof destination === 'object'
      ? destination
      : pino.destination({ dest: destination, sync: false, mkdir: true });
  const logger: Logger = pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  return {
    write(entry) {
      logger.info(entry, entry.status >= 500 ? 'failed' : 'served');
    },
    flush() {
      const flushable = stream as { flushSync?: () => void };
      try {
        flushable.flushSync?.();
      } catch {
        // A destination not open yet has nothing to flush.
      }
    },
  };
}
