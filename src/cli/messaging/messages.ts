import { codecForContentType, defaultCodecs } from '../../codec/negotiate.js';
import { fromHeaders } from '../../envelope/index.js';
import type { Delivery } from '../../messaging/adapter.js';
import type { Io } from '../io.js';

// How the messaging commands show a message. The codec index loads protobufjs: the negotiation module
// alone is enough here.

export type Message = Pick<Delivery, 'channel' | 'partition' | 'id' | 'headers' | 'body'>;

/** A message's body for people: the decoded value, or what can be said about bytes no codec reads. */
function bodyOf(message: Message): { value: unknown } | { text: string } | { base64: string } {
  try {
    // What the bus's `decodeBody` does, with the codecs it reads by default.
    const codec = codecForContentType(message.headers['content-type'], defaultCodecs);
    if (codec) return { value: codec.decode(message.body) };
  } catch {
    // Not what its content type says: shown as text or bytes below.
  }
  const text = Buffer.from(message.body).toString('utf8');
  // Bytes that are not UTF-8 come back with replacement characters: show them as base64 instead.
  return text.includes('\uFFFD') ? { base64: Buffer.from(message.body).toString('base64') } : { text };
}

/** JSON of a decoded body; MessagePack may hold what JSON cannot (big integers, bytes). */
export function toJson(value: unknown, indent?: number): string {
  return String(
    JSON.stringify(
      value,
      (_, v: unknown) =>
        typeof v === 'bigint'
          ? v.toString()
          : v instanceof Uint8Array
            ? Buffer.from(v).toString('base64')
            : v,
      indent,
    ),
  );
}

export function bodyText(message: Message, indent?: number): string {
  const body = bodyOf(message);
  if ('value' in body) return toJson(body.value, indent);
  if ('text' in body) return body.text;
  return `<${message.body.byteLength} bytes of ${message.headers['content-type'] ?? 'unknown type'}>`;
}

/** What `tail --json` prints per message (one JSON object a line). */
export function messageJson(message: Message): Record<string, unknown> {
  const a = fromHeaders(message.headers);
  return {
    time: a.time,
    channel: message.channel,
    partition: message.partition,
    type: a.type,
    id: a.id ?? message.id,
    key: a.partitionkey,
    source: a.source,
    headers: message.headers,
    ...bodyFields(message),
  };
}

function bodyFields(message: Message): Record<string, unknown> {
  const body = bodyOf(message);
  if ('value' in body) return { body: body.value };
  return 'text' in body ? { bodyText: body.text } : { bodyBase64: body.base64 };
}

export function messageLine(message: Message, io: Io): string {
  const a = fromHeaders(message.headers);
  const key = a.partitionkey === undefined ? '' : ` key=${a.partitionkey}`;
  return [
    io.style.dim(a.time ?? '-'),
    `p${message.partition}`,
    io.style.bold(a.type ?? '-'),
    `${a.id ?? message.id}${key}`,
    bodyText(message),
  ].join('  ');
}
