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
  PeekedMessage,
  PeekOptions,
} from './adapter.js';
export { defaultPeekLimit } from './adapter.js';
export { DeliveryQueue } from './delivery-queue.js';
export { embeddedBroker } from './embedded/index.js';
export { jetStreamBroker } from './jetstream/index.js';
export { rabbitMqBroker } from './rabbitmq/index.js';
export { redisStreamsBroker } from './redis/index.js';
export { assertPartitionInRange } from './partition.js';
export * from './direct/index.js';
export * from './replica/index.js';
export * from './bus/index.js';
export { connectBroker, defaultBrokerUrl, type ConnectOptions } from './connect.js';
