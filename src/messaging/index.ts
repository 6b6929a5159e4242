export { partitionFor, murmur3 } from './partition.js';
export type {
  BrokerAdapter,
  Capabilities,
  ChannelSpec,
  Consumer,
  ConsumerEvent,
  ConsumerOptions,
  Delivery,
  OutgoingMessage,
} from './adapter.js';
export { embeddedBroker } from './embedded/index.js';
export { jetStreamBroker } from './jetstream/index.js';
export { rabbitMqBroker } from './rabbitmq/index.js';
export { redisStreamsBroker } from './redis/index.js';
export { assertPartitionInRange } from './partition.js';
