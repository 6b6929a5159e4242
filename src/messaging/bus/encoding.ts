import { codecForContentType, defaultCodecs, json, type Codec } from '../../codec/index.js';
import { fromHeaders, toHeaders, type Envelope } from '../../envelope/index.js';
import { SwitchyardError } from '../../errors/index.js';
import type { Delivery, OutgoingMessage } from '../adapter.js';
import { partitionFor } from '../partition.js';

/**
 * An envelope as a broker message: attributes as `ce-*` headers (CloudEvents binary mode), the
 * payload encoded by the codec. The partition comes from the partition key, or the id when there
 * is none (unrelated messages spread over the partitions).
 */
export function toOutgoing(
  envelope: Envelope,
  target: { channel: string; partitions: number },
  codec: Codec = json,
): OutgoingMessage {
  const headers = toHeaders(envelope, { contentType: codec.contentType });
  return {
    channel: target.channel,
    partition: partitionFor(envelope.partitionkey ?? envelope.id, target.partitions),
    id: envelope.id,
    headers,
    body: codec.encode(envelope.data),
  };
}

export type DecodedAttributes = Partial<Omit<Envelope, 'data'>>;

/** The envelope attributes of a delivery (no payload decoding, so a bad body can still be dead-lettered with them). */
export function attributesOf(delivery: Pick<Delivery, 'headers'>): DecodedAttributes {
  return fromHeaders(delivery.headers);
}

/** Decodes a delivery's payload with the codec its content type names; INVALID_ARGUMENT when it cannot. */
export function decodeBody(
  delivery: Pick<Delivery, 'headers' | 'body'>,
  codecs: readonly Codec[] = defaultCodecs,
): unknown {
  const contentType = delivery.headers['content-type'];
  const codec = codecForContentType(contentType, codecs);
  if (!codec)
    throw new SwitchyardError('UNSUPPORTED_MEDIA_TYPE', `No codec reads content type ${contentType}`, {
      details: { contentType },
    });
  return codec.decode(delivery.body);
}
