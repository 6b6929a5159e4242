import { newId } from './ids.js';

/**
 * What travels with every message and request: CloudEvents 1.0 attributes plus Switchyard's
 * extension attributes (lower-case alphanumerics, as CloudEvents requires of extension names).
 */
export interface Envelope<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  datacontenttype: string;
  subject?: string;
  data: T;
  correlationid?: string;
  causationid?: string;
  replyto?: string;
  partitionkey?: string;
  traceparent?: string;
  tracestate?: string;
  /** Absolute epoch milliseconds. On the wire it travels as remaining time (see headers.ts). */
  deadline?: number;
  /** 1 on first delivery, incremented on each redelivery or retry. */
  attempt?: number;
}

export type EnvelopeInit<T> = Omit<Envelope<T>, 'specversion' | 'id' | 'time' | 'datacontenttype'> &
  Partial<Pick<Envelope<T>, 'id' | 'time' | 'datacontenttype'>>;

export function createEnvelope<T>(init: EnvelopeInit<T>): Envelope<T> {
  const envelope = {
    specversion: '1.0',
    id: init.id ?? newId(),
    time: init.time ?? isoNow(),
    datacontenttype: init.datacontenttype ?? 'application/json',
  } as Envelope<T>;
  // Copied key by key rather than spread and pruned: deleting keys turns an object into a slow
  // dictionary, and every message makes one of these.
  const target = envelope as unknown as Record<string, unknown>;
  const source = init as unknown as Record<string, unknown>;
  for (const key in source) if (source[key] !== undefined) target[key] = source[key];
  return envelope;
}

let isoMs = -1;
let iso = '';

/** The current time in ISO 8601, formatted once per millisecond however many messages ask. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== isoMs) {
    isoMs = ms;
    iso = new Date(ms).toISOString();
  }
  return iso;
}
