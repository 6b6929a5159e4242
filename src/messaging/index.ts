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
