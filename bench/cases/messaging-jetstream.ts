/**
 * Messaging on NATS JetStream through Switchyard's messaging layer (`jetStreamBroker`), against raw
 * nats.js with the same guarantees and against `@moleculer/channels`' NATS adapter.
 */
import { connect } from 'nats';
import { jetStreamBroker } from '../../src/messaging/index.js';
import type { BenchGroup } from '../case.js';
import { engineAbout, engineCases, settings } from '../support/messaging-cases.js';
import { moleculerEngines, moleculerName, moleculerSide } from '../support/messaging-moleculer.js';
import { natsUrl, rawNatsSide } from '../support/messaging-raw-nats.js';
import { switchyardSide } from '../support/messaging-switchyard.js';

const group = 'messaging-jetstream';
const inFlight = settings.consumerInFlight;

/** The adapter's lease bucket is per prefix; deleting the channel only purges its keys. */
async function deleteLeaseBucket(id: string): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(`KV_bench_${id}_leases`).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

export const { cases } = engineCases({
  label: 'JetStream',
  group,
  switchyard: switchyardSide({
    broker: (id) => jetStreamBroker({ servers: natsUrl, prefix: `bench_${id}` }),
    cleanup: deleteLeaseBucket,
    partitions: inFlight,
    concurrency: inFlight,
  }),
  raw: rawNatsSide({ inFlight }),
  rawName: `nats.js: js.publish awaiting PubAck, durable pull consumer, explicit ack, max_ack_pending ${inFlight}`,
  enginePort: 4222,
  moleculer: {
    side: moleculerSide(moleculerEngines.jetstream, { maxInFlight: inFlight }),
    name: moleculerName('NATS'),
  },
});

export const groups: BenchGroup[] = [
  {
    name: group,
    about: engineAbout(
      'NATS 2.9 with JetStream at 127.0.0.1:4222, file storage everywhere. Switchyard: `jetStreamBroker` ' +
        '(a stream per channel with a subject per partition, publishes with `Nats-Msg-Id` awaiting the ' +
        'PubAck, a durable pull consumer per group and partition with MaxAckPending 1, one message at a ' +
        'time per partition from a pull request of 128 kept open, acks confirmed by the server, ' +
        'partition leases in a KV bucket).',
      'Raw: nats.js on one connection, a stream of one subject, `js.publish` awaiting its PubAck, one ' +
        `durable pull consumer (explicit ack, \`max_ack_pending: ${inFlight}\`) read with ` +
        `\`consumer.consume({ max_messages: ${inFlight} })\` and \`msg.ack()\` after the handler (not ` +
        'confirmed). Moleculer: `@moleculer/channels` NATS adapter, a file-backed stream, publishes ' +
        'awaiting the PubAck, a durable push consumer in a queue group with explicit ack.',
    ),
  },
];
