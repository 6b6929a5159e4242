import { randomBytes } from 'node:crypto';
import { SwitchyardError } from '../../errors/index.js';
import type { OutgoingMessage } from '../../messaging/adapter.js';
import { deadLetterGroup, replayOf } from '../../messaging/bus/dead-letter.js';
import { progress } from '../progress.js';
import { type DlqContext, letterId, letterIdHeader, letters, scanLimit } from '../messaging/dead-letters.js';
import type { Message } from '../messaging/messages.js';

/** How long replay waits for the next dead letter before deciding another member holds X.dlq. */
const idleMs = 15_000;

/**
 * Consumes X.dlq as its `dlq` group from the head: a selected dead letter is published back with
 * `replayOf`, an unselected one ahead of the last selected is appended to X.dlq again; each is
 * acknowledged only after that publish resolved (a crash in between leaves a duplicate, never a loss).
 * Stops at the last dead letter that was there when it started.
 */
export async function replay(ctx: DlqContext, ids: Set<string> | undefined): Promise<number> {
  const { io, broker, dlq } = ctx;
  const snapshot = await letters(ctx, scanLimit);
  const selected = ids ?? new Set(snapshot.map(letterId));
  const missing = [...selected].filter((id) => !snapshot.some((m) => letterId(m) === id));
  if (missing.length > 0)
    throw new SwitchyardError('NOT_FOUND', `No dead letter ${missing.join(', ')} in ${dlq}`, {
      details: { channel: dlq, ids: missing },
    });
  const walk = snapshot.findLastIndex((m) => selected.has(letterId(m))) + 1;
  if (walk === 0) {
    io.out(`nothing to replay in ${dlq}`);
    return 0;
  }
  const last = letterId(snapshot[walk - 1]!);
  const consumer = broker.consume({
    channel: { name: dlq, partitions: 1, groups: [deadLetterGroup] },
    group: deadLetterGroup,
    member: `switchyard-dlq-${process.pid}-${randomBytes(3).toString('hex')}`,
  });
  const bar = progress(io, `replaying ${selected.size} of ${dlq}`);
  let replayed = 0;
  let moved = 0;
  // Ctrl-C stops between two dead letters, never between a publish and its acknowledgement.
  let interrupted = false;
  const interrupt = () => void (interrupted = true);
  process.once('SIGINT', interrupt);
  try {
    const deliveries = consumer[Symbol.asyncIterator]();
    let seen = 0;
    while (seen < walk && !interrupted) {
      const next = await within(deliveries.next(), idleMs);
      if (next === undefined)
        throw new SwitchyardError(
          'UNAVAILABLE',
          `No dead letter came from ${dlq} in ${idleMs / 1000} s: another member of its ${deadLetterGroup} group holds it (a replay running elsewhere?)`,
        );
      if (next.done) break;
      const delivery = next.value;
      const id = letterId(delivery);
      const out = selected.has(id) ? replayMessage(delivery) : movedToEnd(delivery, dlq, id);
      await broker.publish([out]);
      await delivery.ack();
      seen++;
      if (selected.has(id)) replayed++;
      else moved++;
      const what = selected.has(id) ? `replayed ${id} to ${out.channel}` : `moved ${id} to the end`;
      if (io.tty) bar.update(`${meter(seen, walk)} ${what}`);
      else io.out(`${what} (partition ${out.partition})`);
      if (id === last) break;
    }
    const summary = `replayed ${replayed} from ${dlq}${moved > 0 ? `; moved ${moved} ahead of them to its end` : ''}`;
    if (!interrupted) bar.done(summary);
    else bar.fail(`interrupted: ${summary}`);
    return interrupted ? 1 : 0;
  } catch (error) {
    bar.fail(`stopped after replaying ${replayed} (moved ${moved})`);
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
    await consumer.close();
  }
}

function replayMessage(delivery: Message): OutgoingMessage {
  const { [letterIdHeader]: _, ...headers } = delivery.headers;
  // The channel's partition count never changes, so the partition it failed in still exists.
  return replayOf({ id: delivery.id, headers, body: delivery.body }, () => Number.MAX_SAFE_INTEGER);
}

function movedToEnd(delivery: Message, dlq: string, id: string): OutgoingMessage {
  return {
    channel: dlq,
    partition: 0,
    id: `${id}.moved.${Date.now()}.${randomBytes(3).toString('hex')}`,
    headers: { ...delivery.headers, [letterIdHeader]: id },
    body: delivery.body,
  };
}

function meter(done: number, total: number, width = 20): string {
  const full = Math.round((done / total) * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${done}/${total}`;
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
