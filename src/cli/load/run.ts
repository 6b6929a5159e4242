import { setMaxListeners } from 'node:events';
import { Pool } from 'undici';
import type { Io } from '../io.js';
import { closedLoop, openLoop, type Task } from './driver.js';
import { perform, send, type Answer, type Target } from './exchange.js';
import type { LoadMix, LoadRequest } from './mix.js';
import { formatSummary, startLive, summarize, type LiveState } from './report.js';
import { createTally } from './tally.js';

export interface LoadOptions {
  url: string;
  mix: LoadMix;
  /** Open loop at a rate (requests per second), or closed loop with a number of workers. */
  driver: { rate: number } | { concurrency: number };
  durationS: number;
  /** Sent like the run, before it, and not counted: connections, caches and JIT warm up. */
  warmupS: number;
  /** Print the summary as one JSON object; progress goes to stderr. */
  json: boolean;
  io: Io;
  /** Stops the run early, as Ctrl-C does. */
  signal?: AbortSignal;
}

/** Past this many sockets a machine runs short of ports and descriptors; more requests queue. */
const maxConnections = 1024;
/** How much of the schedule may be outstanding at once: 10 s of it. */
const outstandingSeconds = 10;
const probeTimeoutMs = 5_000;
const requestTimeoutMs = 30_000;

/**
 * Runs a mix against a target and prints its summary. Exit code 0 when the run completed with at
 * least one success; 1 when the target cannot be reached at the start or no request succeeded.
 */
export async function runLoad(options: LoadOptions): Promise<number> {
  const { io, mix, driver, json } = options;
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new Error(`--url ${options.url} is not a URL`);
  }
  const maxOutstanding =
    'rate' in driver ? Math.max(1, Math.ceil(driver.rate * outstandingSeconds)) : Infinity;
  const pool = new Pool(base.origin, {
    connections: 'rate' in driver ? Math.min(maxOutstanding, maxConnections) : driver.concurrency,
    headersTimeout: requestTimeoutMs,
    bodyTimeout: requestTimeoutMs,
  });
  const target: Target = { dispatcher: pool, basePath: base.pathname.replace(/\/+$/, '') };

  const interrupt = new AbortController();
  // Every request and settle wait listens on it: thousands at once are expected, not a leak.
  setMaxListeners(0, interrupt.signal);
  let interruptedAt: number | undefined;
  const stop = () => {
    interruptedAt ??= performance.now();
    interrupt.abort();
  };
  process.once('SIGINT', stop);
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    const probe = await send(
      target,
      { method: 'GET', path: '/' },
      { signal: AbortSignal.any([interrupt.signal, AbortSignal.timeout(probeTimeoutMs)]), readBody: false },
    ).catch((): Answer => ({ ok: false, label: interrupt.signal.aborted ? 'interrupted' : 'timeout' }));
    if (interrupt.signal.aborted) {
      io.err('switchyard load: interrupted before the run started');
      return 1;
    }
    // Any answer, even a 404 for `/`, shows something listens there.
    if (!probe.ok && probe.status === undefined) {
      io.err(`switchyard load: cannot reach ${options.url} (${probe.label})`);
      return 1;
    }

    let state: unknown;
    try {
      state = await mix.setup?.({ baseUrl: options.url, signal: interrupt.signal });
    } catch (error) {
      throw new Error(`the mix's setup failed: ${(error as Error).message}`, { cause: error });
    }

    const warmup = createTally();
    const tally = createTally();
    const startedAt = performance.now();
    const warmupMs = options.warmupS * 1000;
    const measuredFrom = startedAt + warmupMs;
    const endsAt = measuredFrom + options.durationS * 1000;
    let sequence = 0;
    let inFlight = 0;
    const tallyAt = (at: number) => (at < measuredFrom ? warmup : tally);
    const task: Task = async (dueAt) => {
      const request = nextRequest(mix, state, sequence++);
      inFlight++;
      try {
        await perform({ target, request, startedAt: dueAt, tally: tallyAt(dueAt), signal: interrupt.signal });
      } finally {
        inFlight--;
      }
    };

    const live = startLive({
      io,
      toStderr: json,
      read: (): LiveState => {
        const now = performance.now();
        if (now < measuredFrom && interruptedAt === undefined)
          return { phase: 'warmup', elapsedMs: now - startedAt, phaseMs: warmupMs, tally: warmup, inFlight };
        const phase = now < endsAt && interruptedAt === undefined ? 'run' : 'finishing';
        return { phase, elapsedMs: now - measuredFrom, phaseMs: endsAt - measuredFrom, tally, inFlight };
      },
    });
    try {
      const common = { durationMs: endsAt - startedAt, signal: interrupt.signal, task };
      if ('rate' in driver)
        await openLoop({
          ...common,
          rate: driver.rate,
          maxOutstanding,
          onDropped: () => tallyAt(performance.now()).drop(),
        });
      else await closedLoop({ ...common, concurrency: driver.concurrency });
    } finally {
      live.stop();
    }

    const durationMs = Math.max(0, Math.min(endsAt, interruptedAt ?? endsAt) - measuredFrom);
    const summary = summarize({ url: options.url, driver, durationMs, tally });
    if (json) io.out(JSON.stringify(summary));
    else for (const line of formatSummary(summary, io)) io.out(line);
    if (tally.successes > 0) return 0;
    io.err(
      `switchyard load: ${tally.requests === 0 ? 'no request finished' : `all ${tally.requests} requests failed`}`,
    );
    return 1;
  } finally {
    process.off('SIGINT', stop);
    options.signal?.removeEventListener('abort', stop);
    await pool.destroy();
  }
}

/** A mix that throws, or makes no request, is broken, not the target: the run stops and says where. */
function nextRequest(mix: LoadMix, state: unknown, sequence: number): LoadRequest {
  let request: LoadRequest;
  try {
    request = mix.next(state, sequence);
  } catch (error) {
    throw new Error(`the mix's next() failed at sequence ${sequence}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const { kind, method, path } = (request ?? {}) as Partial<LoadRequest>;
  if (
    typeof kind !== 'string' ||
    typeof method !== 'string' ||
    typeof path !== 'string' ||
    !path.startsWith('/')
  )
    throw new Error(
      `the mix's next() returned ${JSON.stringify(request)} at sequence ${sequence}: ` +
        'a request has a kind, a method and a path starting with /',
    );
  return request;
}
