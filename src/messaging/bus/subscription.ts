import type { BrokerAdapter, ChannelSpec, Consumer, Delivery } from '../adapter.js';
import type { Subscription } from './types.js';

export interface SubscriptionSettings {
  readonly broker: BrokerAdapter;
  readonly spec: ChannelSpec;
  readonly group: string;
  readonly member: string;
  /** Deliveries handled at once (each partition is still one at a time: the adapter guarantees it). */
  readonly concurrency: number;
  readonly process: (delivery: Delivery) => Promise<void>;
  /** Aborted by whoever closes the subscription; handlers waiting to retry watch it too. */
  readonly closing: AbortController;
  readonly onConsumerError: (error: unknown) => void;
}

/** How long a consumer that failed waits before it is created again. */
const restartDelayMs = 1_000;

/**
 * Takes deliveries from one adapter consumer and processes several at once. Closing stops taking
 * new ones, lets those in hand finish (a handler waiting to retry gives its message back), then
 * closes the consumer so its partitions move to the other members at once.
 */
export function startSubscription(settings: SubscriptionSettings): Subscription {
  const { closing } = settings;
  const inFlight = new Set<Promise<void>>();
  let consumer: Consumer | undefined;
  let freed: (() => void) | undefined;

  const slotFree = () => new Promise<void>((resolve) => (freed = resolve));

  async function consumeOnce(): Promise<void> {
    consumer = settings.broker.consume({
      channel: settings.spec,
      group: settings.group,
      member: settings.member,
    });
    for await (const delivery of consumer) {
      if (closing.signal.aborted) return;
      while (inFlight.size >= settings.concurrency) await slotFree();
      const work = settings
        .process(delivery)
        .catch(settings.onConsumerError)
        .finally(() => {
          inFlight.delete(work);
          freed?.();
        });
      inFlight.add(work);
    }
  }

  const loop = (async () => {
    while (!closing.signal.aborted) {
      try {
        await consumeOnce();
        return;
      } catch (error) {
        if (closing.signal.aborted) return;
        settings.onConsumerError(error);
        await consumer?.close().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, restartDelayMs));
      }
    }
  })();

  return {
    channels: [settings.spec.name],
    group: settings.group,
    async close() {
      closing.abort();
      freed?.();
      await Promise.allSettled(inFlight);
      await consumer?.close();
      await loop;
    },
  };
}
