import { Gauge, type Registry } from 'prom-client';
import type { BrokerAdapter } from '../adapter.js';
import type { Messaging } from './types.js';

export interface ConsumerLagOptions {
  /** How long one answer of the broker is reused; default 1000 ms (at least 1000). */
  readonly cacheMs?: number;
  /** How long a scrape waits for the broker before leaving a series out; default 1000 ms. */
  readonly timeoutMs?: number;
}

export const consumerLagMetric = 'switchyard_messaging_consumer_lag_messages';

/**
 * Registers `switchyard_messaging_consumer_lag_messages{channel,group}` in `registry`: at each scrape,
 * the broker's `lag` of every channel and group the bus consumes now. Answers are cached (one broker
 * call per channel and group per `cacheMs`, however many scrapers), and a failed or slow answer leaves
 * its series out rather than failing the scrape. A broker without `lag` registers nothing.
 */
export function observeConsumerLag(
  messaging: Pick<Messaging, 'subscriptions'>,
  broker: Pick<BrokerAdapter, 'lag'>,
  registry: Registry,
  options: ConsumerLagOptions = {},
): void {
  if (!broker.lag) return;
  const lagOf = broker.lag.bind(broker);
  const cacheMs = Math.max(1_000, options.cacheMs ?? 1_000);
  const timeoutMs = options.timeoutMs ?? 1_000;
  /** Per channel and group: when the broker was asked, and its answer (undefined: it failed). */
  let cache = new Map<string, { at: number; lag: Promise<number | undefined> }>();

  new Gauge({
    name: consumerLagMetric,
    help: 'Messages of the channel the consumer group has not acknowledged, as the broker counts them',
    labelNames: ['channel', 'group'],
    registers: [registry],
    async collect() {
      // Series of subscriptions that closed, or whose answer failed, must not linger from an earlier scrape.
      this.reset();
      const now = Date.now();
      const fresh = new Map<string, { at: number; lag: Promise<number | undefined> }>();
      const asks: Promise<void>[] = [];
      for (const { channels, group } of messaging.subscriptions())
        for (const channel of channels) {
          const key = `${channel}\u0000${group}`;
          if (fresh.has(key)) continue;
          let entry = cache.get(key);
          if (!entry || now - entry.at >= cacheMs)
            entry = { at: now, lag: lagOf(channel, group).catch(() => undefined) };
          fresh.set(key, entry);
          asks.push(
            within(entry.lag, timeoutMs).then((value) => {
              if (value !== undefined) this.set({ channel, group }, value);
            }),
          );
        }
      // Only what the bus consumes now stays cached.
      cache = fresh;
      await Promise.all(asks);
    },
  });
}

/** `promise`'s value, or undefined after `ms` (the answer still fills the cache for the next scrape). */
function within<T>(promise: Promise<T | undefined>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
