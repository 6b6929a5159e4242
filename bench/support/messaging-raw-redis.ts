/**
 * Redis Streams' raw baseline with ioredis: `XADD` resolving on its reply; a consumer group read by
 * `XREADGROUP … COUNT n BLOCK` on a connection of its own, keeping at most `inFlight` messages
 * unacknowledged, and an `XACK` per message after the handler on the command connection (where the
 * publishes go too), as the adapter does.
 */
import { Redis } from 'ioredis';
import type { MessagingSide, OpenSide, Receive } from './messaging-load.js';
import { decodeSample, encodeSample, runId } from './messaging-sample.js';

export const redisUrl = 'redis://127.0.0.1:6379';

type Entry = [Buffer, Buffer[]];

export function rawRedisSide(options: { inFlight: number }): MessagingSide {
  return {
    name: 'raw',
    async open(receive?: Receive): Promise<OpenSide> {
      const stream = `bench:raw:${runId()}`;
      const group = 'bench';
      const command = new Redis(redisUrl);
      const blocking = receive ? new Redis(redisUrl) : undefined;
      await command.xgroup('CREATE', stream, group, '$', 'MKSTREAM');

      let closed = false;
      let inHand = 0;
      let freed: (() => void) | undefined;
      const ack = async (entryId: Buffer) => {
        // A lost ack leaves the entry pending (it would be claimed again); the count must still move.
        await command.xack(stream, group, entryId).catch(() => undefined);
        inHand--;
        freed?.();
      };
      const reading = blocking
        ? (async () => {
            while (!closed) {
              if (inHand >= options.inFlight) {
                await new Promise<void>((resolve) => (freed = resolve));
                continue;
              }
              const reply = (await blocking
                .callBuffer(
                  'XREADGROUP',
                  'GROUP',
                  group,
                  'c1',
                  'COUNT',
                  options.inFlight - inHand,
                  'BLOCK',
                  200,
                  'STREAMS',
                  stream,
                  '>',
                )
                .catch(() => null)) as [Buffer, Entry[]][] | null;
              for (const [, entries] of reply ?? [])
                for (const [entryId, fields] of entries) {
                  inHand++;
                  receive!(decodeSample(fields[1]!));
                  void ack(entryId);
                }
            }
          })()
        : undefined;

      return {
        publish: async (sample) => {
          await command.xadd(stream, '*', 'body', encodeSample(sample));
        },
        async close() {
          closed = true;
          freed?.();
          await reading;
          blocking?.disconnect();
          await command.del(stream);
          await command.quit();
        },
      };
    },
  };
}
