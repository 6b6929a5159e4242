import type { ConsumeMessage, GetMessage } from 'amqplib';

/**
 * Header of a probe: a tiny message a member sends straight to a partition queue so that whichever
 * member is the queue's single active consumer learns it owns the partition (RabbitMQ sends no
 * notice of activation). Probes are acknowledged by the adapter and never reach the application.
 */
export const probeHeader = 'x-switchyard-probe';

export function isProbe(msg: ConsumeMessage | GetMessage): boolean {
  return msg.properties.headers?.[probeHeader] !== undefined;
}

/**
 * The application's headers of a message: the string ones (AMQP long strings may arrive as bytes).
 * RabbitMQ's own numeric headers, such as `x-delivery-count`, are left out.
 */
export function applicationHeaders(msg: ConsumeMessage | GetMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries((msg.properties.headers ?? {}) as Record<string, unknown>))
    if (typeof value === 'string') headers[key] = value;
    else if (Buffer.isBuffer(value)) headers[key] = value.toString('utf8');
  return headers;
}

export function bodyOf(msg: ConsumeMessage | GetMessage): Uint8Array {
  return new Uint8Array(msg.content.buffer, msg.content.byteOffset, msg.content.byteLength);
}
