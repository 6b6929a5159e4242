import { setTimeout as sleep } from 'node:timers/promises';
import { flagPaths, type FlagsResponse } from '../discovery/hub-api.js';
import { backoff } from '../discovery/resolvers/common.js';
import { HubHttp } from '../discovery/resolvers/hub-http.js';
import { SwitchyardError } from '../errors/index.js';
import { parseFlagDocument } from './definition.js';
import type { FlagSource } from './flags.js';

export interface HubFlagSourceOptions {
  /** Default `http://127.0.0.1:7070`. */
  url?: string;
  /** Only needed when the hub requires one for reads through a proxy; reads are open by default. */
  token?: string;
  /** How long the hub may hold a blocking query. Default 30 s. */
  waitSeconds?: number;
  /** Retry delays after a failure. Default 100 ms doubling to 5 s. */
  backoff?: { initialMs?: number; maxMs?: number };
}

/** Below this, an unchanged answer to a blocking query means the hub is not blocking: slow down. */
const minQueryGapMs = 200;

/**
 * Flags from the hub, kept current with blocking queries on `GET /v1/flags` (the same mechanism as
 * the registry watch, for the same reasons: every request is bounded, so a dead connection shows
 * within `wait`, and each answer is the whole document, so nothing is lost between reconnects).
 * While the hub is unreachable the last flags stay in force and each failed attempt is reported.
 */
export function hubFlagSource(options: HubFlagSourceOptions = {}): FlagSource {
  const http = new HubHttp({
    ...(options.url === undefined ? {} : { url: options.url }),
    ...(options.token === undefined ? {} : { token: options.token }),
  });
  const waitSeconds = options.waitSeconds ?? 30;
  const delays = backoff(options.backoff);
  const abort = new AbortController();
  let running: Promise<void> | undefined;

  return {
    name: `hub ${http.url}`,
    start(sink) {
      let index: number | undefined;
      let signature: string | undefined;
      const poll = async () => {
        const blocking = index !== undefined;
        const started = performance.now();
        const res = await http.send(
          'GET',
          flagPaths.flags + (blocking ? `?index=${index}&wait=${waitSeconds}s` : ''),
          {
            signal: abort.signal,
            timeoutMs: blocking ? waitSeconds * 1000 + 5000 : 5000,
          },
        );
        if (res.status !== 200) throw HubHttp.failure(res);
        const body = res.body as Partial<FlagsResponse> | undefined;
        if (typeof body?.index !== 'number')
          throw new SwitchyardError(
            'INTERNAL',
            `hub ${http.url} answered ${flagPaths.flags} with no flag document`,
          );
        const unchanged = body.index === index;
        index = body.index;
        delays.reset();
        const text = JSON.stringify(body.flags);
        if (text !== signature) {
          signature = text;
          sink.update(parseFlagDocument({ flags: body.flags }));
        }
        if (unchanged && performance.now() - started < minQueryGapMs)
          await sleep(minQueryGapMs, undefined, { signal: abort.signal });
      };
      running = (async () => {
        while (!abort.signal.aborted) {
          try {
            await poll();
          } catch (error) {
            if (abort.signal.aborted) break;
            const failure = SwitchyardError.from(error);
            // A document the hub serves but this version cannot read waits for the next change.
            if (failure.code !== 'INVALID_ARGUMENT') index = undefined;
            // The next good answer is delivered even if unchanged, so flags know the hub is back.
            signature = undefined;
            sink.error(failure);
            await sleep(delays.next(), undefined, { signal: abort.signal }).catch(() => undefined);
          }
        }
      })();
    },
    async close() {
      abort.abort();
      await running;
      await http.close();
    },
  };
}
