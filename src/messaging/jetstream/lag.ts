import type { JetStreamManager } from 'nats';
import { groupConsumers } from './group-state.js';
import type { Names } from './topology.js';

/** Messages the stream keeps on one partition's subject (what a durable created now would deliver). */
async function kept(jsm: JetStreamManager, names: Names, partition: number): Promise<number> {
  const subject = names.subject(partition);
  const info = await jsm.streams.info(names.stream, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

/**
 * `lag` on JetStream: the server's own counters of each durable consumer of the group (one per
 * partition), `num_pending + num_ack_pending`, summed. Consumer info reads no message.
 */
export async function lag(
  jsm: JetStreamManager,
  names: Names,
  channel: string,
  group: string,
): Promise<number> {
  // Not yet delivered + delivered and waiting for an ack (a nak'd message waiting to come again included).
  const counts = (await groupConsumers(jsm, names, channel, group)).map((info) =>
    info ? info.num_pending + info.num_ack_pending : undefined,
  );
  // A partition whose durable is missing (deleted by hand) will deliver everything kept, as peek shows.
  const totals = await Promise.all(counts.map((count, p) => count ?? kept(jsm, names, p)));
  return totals.reduce((sum, count) => sum + count, 0);
}
