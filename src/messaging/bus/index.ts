import './service-env.js';
export { createMessaging } from './messaging.js';
export { toOutgoing, attributesOf, decodeBody } from './encoding.js';
export {
  deadLetterChannel,
  deadLetterGroup,
  deadLetterHeaders,
  deadLetterOf,
  isDeadLetterChannel,
  replayGroupHeader,
  replayOf,
  type DeadLetterReason,
} from './dead-letter.js';
export { replyStatusHeader } from './replies.js';
export type * from './types.js';
export { observeConsumerLag, consumerLagMetric, type ConsumerLagOptions } from './lag-metrics.js';
