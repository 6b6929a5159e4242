import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SwitchyardError } from '../../errors/index.js';
import type { BrokerAdapter, Consumer, ConsumerEvent } from '../../messaging/adapter.js';
import { failed, parseCommand, positiveInt, usage } from '../command-line.js';
import type { Io } from '../io.js';
import {
  brokerHelp,
  brokerOptions,
  channelExists,
  defaultPartitions,
  ensureChannel,
  openBroker,
} from '../messaging/broker.js';
import { messageJson, messageLine, toJson } from '../messaging/messages.js';

/** How long the throwaway group of a tail that was killed outlives it. */
export const throwawayGroupExpiryMs = 60_000;

const help = `Usage: switchyard tail <channel> [options]

Follows a channel and prints each message (time, partition, type, id, key, body) until Ctrl-C or --count.

Without --group, tail reads as a throwaway group of its own (a fresh name each run), so it takes
nothing from any service; it shows what is published from now on, or with --from-start everything
the engine keeps for a new group (everything retained on the embedded broker, JetStream and Redis;
RabbitMQ keeps nothing for a group that did not exist, so there it is the same as from now on).
The throwaway group is removed when tail stops, and a minute after tail was killed.

With --group <name>, tail is a member of that group like any other: it receives only its share of the
partitions and ACKNOWLEDGES what it prints, so those messages are consumed. Never give a live
service's group: its members would lose those messages.

${brokerHelp}
  --group <name>       consume as this group (see above)
  --from-start         with the throwaway group: also what was published before tail started
  --count <n>          stop after n messages
  --partitions <n>     the channel's partition count (default 8; 1 for a .dlq channel)
  --json               one JSON object per message (headers and body included)`;

/** `switchyard tail`: exit 0 on Ctrl-C or after --count, 1 on a failure, 2 on bad usage. */
export async function run(args: string[], io: Io): Promise<number> {
  const parsed = parseCommand(io, 'tail', help, () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...brokerOptions,
        group: { type: 'string' },
        'from-start': { type: 'boolean', default: false },
        count: { type: 'string' },
        partitions: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    }),
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [channel] = positionals;
  if (channel === undefined || positionals.length > 1) return usage(io, 'tail', help, 'give one channel');
  if (values.group !== undefined && values['from-start'])
    return usage(
      io,
      'tail',
      help,
      '--from-start is for the throwaway group: a named group resumes where it stopped',
    );

  const throwaway = values.group === undefined;
  const group = values.group ?? `switchyard-tail-${randomBytes(5).toString('hex')}`;
  let broker: BrokerAdapter | undefined;
  let consumer: Consumer | undefined;
  let consuming = false;
  const stopping = new AbortController();
  const stop = () => {
    stopping.abort();
    void consumer?.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const count = positiveInt(values.count, 'count');
    const partitions = positiveInt(values.partitions, 'partitions') ?? defaultPartitions(channel);
    broker = openBroker(values);
    // Following a channel must not create it (with a partition count its services may not use).
    if (!(await channelExists(broker, channel)))
      throw new SwitchyardError('NOT_FOUND', `Channel ${channel} does not exist`, { details: { channel } });
    // A named group is declared with the channel, like a service's; the throwaway group by `consume`,
    // where it starts.
    const spec = { name: channel, partitions, groups: throwaway ? [] : [group] };
    await ensureChannel(broker, spec);
    consuming = true;
    const following = () =>
      io.err(
        io.style.dim(
          `following ${channel} as ${throwaway ? 'throwaway group' : 'group'} ${group} (Ctrl-C to stop)`,
        ),
      );
    // The throwaway group exists once the consumer holds partitions: "from now on" starts there. A
    // named group exists already, and its member may wait for another one to leave.
    let told = !throwaway;
    if (told) following();
    consumer = broker.consume({
      channel: spec,
      group,
      member: `${group}-${process.pid}-${randomBytes(3).toString('hex')}`,
      start: throwaway && !values['from-start'] ? 'end' : 'oldest',
      // Removed on the way out; if this process is killed instead, the engine (or a sweep) removes it.
      ...(throwaway ? { idleExpiryMs: throwawayGroupExpiryMs } : {}),
      onEvent: (event) => {
        if (!told && event.type === 'assigned') {
          told = true;
          following();
        }
        reportEvent(io, event);
      },
    });
    if (stopping.signal.aborted) return 0;
    let printed = 0;
    for await (const delivery of consumer) {
      io.out(values.json ? toJson(messageJson(delivery)) : messageLine(delivery, io));
      await delivery.ack();
      if (count !== undefined && ++printed >= count) break;
    }
    return 0;
  } catch (error) {
    return failed(io, 'tail', error);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await consumer?.close().catch(() => undefined);
    if (throwaway && consuming)
      await broker?.deleteGroup(channel, group).catch((error: unknown) => failed(io, 'tail', error));
    await broker?.close().catch(() => undefined);
  }
}

function reportEvent(io: Io, event: ConsumerEvent): void {
  if (event.type === 'disconnected')
    io.err(io.style.yellow(`disconnected: ${(event.error as Error)?.message ?? String(event.error)}`));
  else if (event.type === 'reconnected') io.err(io.style.dim('reconnected'));
}
