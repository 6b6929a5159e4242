/**
 * Messaging on Redis Streams through Switchyard's messaging layer (`redisStreamsBroker`), against raw
 * ioredis with the same guarantees and against `@moleculer/channels`' Redis adapter.
 */
import { redisStreamsBroker } from '../../src/messaging/index.js';
import { deleteKeys } from '../../src/messaging/redis/purge.js';
import type { BenchGroup } from '../case.js';
import { engineAbout, engineCases, settings } from '../support/messaging-cases.js';
import { moleculerEngines, moleculerName, moleculerSide } from '../support/messaging-moleculer.js';
import { rawRedisSide, redisUrl } from '../support/messaging-raw-redis.js';
import { switchyardSide } from '../support/messaging-switchyard.js';

const group = 'messaging-redis';
const inFlight = settings.consumerInFlight;

/** Whatever the adapter left under the measurement's prefix (leases, member keys). */
const deletePrefix = (id: string) => deleteKeys(redisUrl, `bench:${id}:*`);

export const { cases } = engineCases({
  label: 'Redis',
  group,
  switchyard: switchyardSide({
    broker: (id) => redisStreamsBroker({ url: redisUrl, prefix: `bench:${id}` }),
    cleanup: deletePrefix,
    partitions: inFlight,
    concurrency: inFlight,
  }),
  raw: rawRedisSide({ inFlight }),
  rawName: `ioredis: XADD, XREADGROUP COUNT ≤ ${inFlight} BLOCK on its own connection, XACK per message`,
  enginePort: 6379,
  moleculer: {
    side: moleculerSide(moleculerEngines.redis, { maxInFlight: inFlight }),
    name: moleculerName('Redis'),
  },
});

export const groups: BenchGroup[] = [
  {
    name: group,
    about: engineAbout(
      'Redis 7.0 at 127.0.0.1:6379, as configured here (`appendonly no`: for every side a confirmed ' +
        'message is in Redis memory, not on disk). Switchyard: `redisStreamsBroker` (a stream per ' +
        'partition, a consumer group per group, each single-message publish one XADD, one blocking XREADGROUP ' +
        'reading up to 32 entries ahead of each owned partition with nothing in flight, handed out one at a ' +
        'time, XACK per message, partition leases).',
      'Raw: ioredis, `XADD` on a command connection resolving on its reply, one stream and one consumer ' +
        `group read by \`XREADGROUP COUNT ≤ ${inFlight} BLOCK\` on a connection of its own keeping at ` +
        `most ${inFlight} messages unacknowledged, \`XACK\` per message after the handler. Moleculer: ` +
        '`@moleculer/channels` Redis adapter (XADD; XREADGROUP of up to `maxInFlight`, handlers, then an ' +
        'XACK per message).',
    ),
  },
];
