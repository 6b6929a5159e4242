/**
 * Messaging on RabbitMQ through Switchyard's messaging layer (`rabbitMqBroker`), against raw amqplib
 * with the same guarantees and against `@moleculer/channels`' AMQP adapter.
 */
import { rabbitMqBroker } from '../../src/messaging/index.js';
import type { BenchGroup } from '../case.js';
import { engineAbout, engineCases, settings } from '../support/messaging-cases.js';
import { moleculerEngines, moleculerName, moleculerSide } from '../support/messaging-moleculer.js';
import { amqpUrl, rawAmqpSide } from '../support/messaging-raw-amqp.js';
import { switchyardSide } from '../support/messaging-switchyard.js';

const group = 'messaging-rabbitmq';
const inFlight = settings.consumerInFlight;

export const { cases } = engineCases({
  label: 'RabbitMQ',
  group,
  switchyard: switchyardSide({
    broker: (id) => rabbitMqBroker({ url: amqpUrl, prefix: `bench.${id}` }),
    partitions: inFlight,
    concurrency: inFlight,
  }),
  raw: rawAmqpSide({ inFlight }),
  rawName: `amqplib: confirm channel, persistent + mandatory, one quorum queue, prefetch ${inFlight}, manual ack`,
  enginePort: 5672,
  moleculer: {
    side: moleculerSide(moleculerEngines.rabbitmq, { maxInFlight: inFlight }),
    name: moleculerName('AMQP'),
  },
});

export const groups: BenchGroup[] = [
  {
    name: group,
    about: engineAbout(
      'RabbitMQ 3.10 at 127.0.0.1:5672. Switchyard: `rabbitMqBroker` (a durable direct exchange per channel, ' +
        'a quorum queue with single active consumer per group and partition, prefetch 1 per partition queue, ' +
        'publisher confirms, `persistent` and `mandatory`).',
      'Raw: amqplib on one connection, a durable direct exchange bound to one quorum queue, publishes on a ' +
        'confirm channel (`persistent`, `mandatory`) each resolving on its confirm, a consumer with ' +
        `\`prefetch(${inFlight})\` and a manual ack after the handler. Moleculer: \`@moleculer/channels\` AMQP ` +
        'adapter with a durable exchange, durable quorum queues, `persistent` messages and its manual ack; ' +
        'its publish has no confirms (the adapter offers none), so its publish figure is of a weaker ' +
        'guarantee: written to the socket, not stored.',
    ),
  },
];
