import type { JetStreamManager, MsgRequest, StoredMsg } from 'nats';
import { peekLimit, type PeekedMessage, type PeekOptions } from '../adapter.js';
import { groupConsumers } from './group-state.js';
import { applicationHeaders } from './message.js';
import type { Names } from './topology.js';

/** JetStream's "no message found" (nothing at or after the sequence on that subject). */
const noMessage = (error: unknown) =>
  (error as { api_error?: { err_code?: number } }).api_error?.err_code === 10037;

/**
 * `peek` on JetStream: with `max_ack_pending: 1` every message of a partition after its durable
 * consumer's ack floor is unacknowledged (the one out for delivery included). They are read from the
 * stream by sequence (`STREAM.MSG.GET` with `next_by_subj`), which touches no consumer.
 */
export async function peek(
  jsm: JetStreamManager,
  names: Names,
  channel: string,
  group: string,
  options?: PeekOptions,
): Promise<PeekedMessage[]> {
  const limit = peekLimit(options);
  const consumers = await groupConsumers(jsm, names, channel, group);
  const partitions = consumers.length;
  const floors = consumers.map((info) => info?.ack_floor.stream_seq);
  const out: PeekedMessage[] = [];
  for (let partition = 0; partition < partitions && out.length < limit; partition++) {
    // A partition whose durable is missing starts at the beginning, as its durable will (deliver all).
    let seq = (floors[partition] ?? 0) + 1;
    while (out.length < limit) {
      let stored: StoredMsg;
      try {
        // `next_by_subj` is in the server's API (2.9+) but not in this client's MsgRequest type.
        const query = { seq, next_by_subj: names.subject(partition) } as unknown as MsgRequest;
        stored = await jsm.streams.getMessage(names.stream, query);
      } catch (error) {
        if (noMessage(error)) break;
        throw error;
      }
      const { id, headers } = applicationHeaders(stored.header);
      out.push({ channel, partition, id, headers, body: stored.data, publishedAt: stored.time.getTime() });
      seq = stored.seq + 1;
    }
  }
  return out;
}
