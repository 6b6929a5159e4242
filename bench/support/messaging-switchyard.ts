/**
 * The Switchyard side of a messaging comparison: the typed messaging layer (`createMessaging`) over
 * one broker adapter, publishing an event of a contract and subscribing to it with a group.
 */
import { createMessaging, deadLetterChannel } from '../../src/messaging/bus/index.js';
import type { BrokerAdapter } from '../../src/messaging/index.js';
import type { MessagingSide, OpenSide, Receive } from './messaging-load.js';
import { benchContract, runId } from './messaging-sample.js';

export interface SwitchyardSideOptions {
  /** A fresh adapter per measurement; `id` is unique to it (for prefixes and files). */
  broker(id: string): BrokerAdapter | Promise<BrokerAdapter>;
  /** The channel's partitions; each has one message in flight at a time. */
  partitions: number;
  /** Messages handled at once by the subscription. */
  concurrency: number;
  /** Runs after the adapter closed (e.g. removes its file). */
  cleanup?(id: string): Promise<void>;
}

export const consumerGroup = 'bench';

export function switchyardSide(options: SwitchyardSideOptions): MessagingSide {
  return {
    name: 'switchyard',
    async open(receive?: Receive): Promise<OpenSide> {
      const id = runId();
      const broker = await options.broker(id);
      const Bench = benchContract(id);
      const channel = `${Bench.name}.events`;
      const bus = createMessaging({
        broker,
        service: `bench-${id}`,
        // Declared with the channel, so a publish-only measurement stores messages for the group too.
        channels: { [channel]: { partitions: options.partitions, groups: [consumerGroup] } },
        concurrency: options.concurrency,
      });
      const subscription = receive
        ? await bus.subscribe(Bench, { sample: (payload) => receive(payload) }, { group: consumerGroup })
        : undefined;
      return {
        publish: (sample) => bus.publish(Bench, 'sample', sample),
        async close() {
          try {
            await subscription?.close();
            await bus.close();
            for (const name of [channel, deadLetterChannel(channel)])
              await broker.deleteChannel(name).catch(() => undefined);
          } finally {
            await broker.close();
            await options.cleanup?.(id);
          }
        },
      };
    },
  };
}
