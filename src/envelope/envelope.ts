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
  const envelope: Envelope<T> = {
    specversion: '1.0',
    id: init.id ?? newId(),
    time: init.time ?? new Date().toISOString(),
    datacontenttype: init.datacontenttype ?? 'application/json',
    ...init,
  } as Envelope<T>;
  for (const key of Object.keys(envelope) as (keyof Envelope<T>)[])
    if (envelope[key] === undefined) delete envelope[key];
  return envelope;
}
