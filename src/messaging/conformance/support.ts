import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  BrokerAdapter,
  ChannelSpec,
  Consumer,
  Delivery,
  ConsumerOptions,
  OutgoingMessage,
} from '../adapter.js';
import { SwitchyardError } from '../../errors/index.js';
import { partitionFor } from '../partition.js';

/** A name no other test (or concurrent run of the suite against a shared engine) uses. */
export const unique = (kind: string): string => `conf-${kind}-${randomBytes(5).toString('hex')}`;

const encoder = new TextEncoder();

/** Message `seq` of `key`: its partition is `partitionFor(key)`, its id `key:seq`. */
export function keyed(spec: ChannelSpec, key: string, seq: number, body?: Uint8Array): OutgoingMessage {
  return {
    channel: spec.name,
    partition: partitionFor(key, spec.partitions),
    id: `${key}:${seq}`,
    headers: { key, seq: String(seq) },
    body: body ?? encoder.encode(JSON.stringify({ key, seq })),
  };
}

/** `keys` keys × `perKey` messages, interleaved (k0:0, k1:0, …, k0:1, …) as a producer would. */
export function workload(spec: ChannelSpec, keys: number, perKey: number, prefix = 'k'): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  for (let s = 0; s < perKey; s++) for (let k = 0; k < keys; k++) out.push(keyed(spec, `${prefix}${k}`, s));
  return out;
}

export async function publishAll(adapter: BrokerAdapter, messages: readonly OutgoingMessage[], batch = 100) {
  for (let i = 0; i < messages.length; i += batch) await adapter.publish(messages.slice(i, i + batch));
}

/** Polls `condition` (no fixed sleeps); fails with `what` after `ms`. */
export async function eventually(condition: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await sleep(10);
  }
}

export interface Received {
  readonly member: string;
  readonly partition: number;
  readonly id: string;
  readonly key: string;
  readonly seq: number;
  readonly deliveryCount: number;
}

export type Handler = (delivery: Delivery, member: Member) => Promise<void>;

export const ackAll: Handler = (d) => d.ack();

/**
 * One member of a group in this process: iterates its consumer in the background, records what it
 * got and which partitions it holds, and hands each delivery to `handler` (default: ack).
 */
export class Member {
  readonly received: Received[] = [];
  readonly assigned = new Set<number>();
  readonly consumer: Consumer;
  readonly done: Promise<void>;
  error: unknown;

  constructor(
    adapter: BrokerAdapter,
    spec: ChannelSpec,
    readonly group: string,
    readonly name: string = unique('member'),
    handler: Handler = ackAll,
    options: Pick<ConsumerOptions, 'start' | 'idleExpiryMs'> = {},
  ) {
    const consumer = adapter.consume({
      channel: spec,
      group,
      member: name,
      ...options,
      onEvent: (event) => {
        if (event.type === 'assigned') for (const p of event.partitions) this.assigned.add(p);
        if (event.type === 'revoked') for (const p of event.partitions) this.assigned.delete(p);
      },
    });
    this.consumer = consumer;
    this.done = (async () => {
      try {
        for await (const d of consumer) {
          this.received.push({
            member: name,
            partition: d.partition,
            id: d.id,
            key: d.headers.key ?? '',
            seq: Number(d.headers.seq),
            deliveryCount: d.deliveryCount,
          });
          await handler(d, this);
        }
      } catch (error) {
        this.error = error;
      }
    })();
  }

  ids(): string[] {
    return this.received.map((r) => r.id);
  }

  async close(): Promise<void> {
    await this.consumer.close();
    await this.done;
    if (this.error) throw this.error;
  }
}

/** Waits until the members together hold every partition (each group member reported `assigned`). */
export async function allAssigned(members: readonly Member[], partitions: number, ms = 20_000) {
  await eventually(
    () => new Set(members.flatMap((m) => [...m.assigned])).size === partitions,
    ms,
    () => `partitions assigned: ${members.map((m) => `${m.name}=[${[...m.assigned]}]`).join(' ')}`,
  );
}

/** Ids that occur more than once. */
export function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const id of ids) (seen.has(id) ? dup : seen).add(id);
  return [...dup];
}

/** Keys whose `seq`s are not non-decreasing in `received` (redeliveries repeat a seq; they never go back). */
export function orderViolations(received: readonly Received[]): string[] {
  const last = new Map<string, number>();
  const bad: string[] = [];
  for (const r of received) {
    const prev = last.get(r.key);
    if (prev !== undefined && r.seq < prev) bad.push(`${r.key}: ${r.seq} after ${prev}`);
    last.set(r.key, r.seq);
  }
  return bad;
}

/** Retries `fn` until it resolves (an engine restarting refuses for a while), failing after `ms`. */
export async function retrying<T>(fn: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(delay);
    }
  }
}

/**
 * A read of a group (`peek`, `lag`) is NOT_FOUND for an unknown channel (no `details.group`) and for
 * an unknown group of a known channel (`details.group` naming it).
 */
export async function assertUnknownChannelAndGroup(
  read: (channel: string, group: string) => Promise<unknown>,
  channel: string,
): Promise<void> {
  const missing = unique('missing');
  await assert.rejects(
    read(missing, 'g'),
    (e: unknown) =>
      SwitchyardError.is(e, 'NOT_FOUND') && e.details.channel === missing && e.details.group === undefined,
  );
  const nobody = unique('nobody');
  await assert.rejects(
    read(channel, nobody),
    (e: unknown) =>
      SwitchyardError.is(e, 'NOT_FOUND') && e.details.channel === channel && e.details.group === nobody,
  );
}
