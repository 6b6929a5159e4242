import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { codecForContentType, defaultCodecs } from '../../codec/negotiate.js';
import { fromHeaders } from '../../envelope/index.js';
import { SwitchyardError } from '../../errors/index.js';
import type {
  BrokerAdapter,
  ChannelSpec,
  Consumer,
  ConsumerEvent,
  Delivery,
} from '../../messaging/adapter.js';
import { isDeadLetterChannel } from '../../messaging/bus/dead-letter.js';
import { connectBroker, defaultBrokerUrl } from '../../messaging/connect.js';
import type { Io } from '../io.js';

// Shared by publish, tail and dlq. Kept to light imports: the codec index loads protobufjs, the
// contract index the schema compiler, and neither is needed to move and show messages.

/** Options every messaging command takes. */
export const brokerOptions = {
  broker: { type: 'string' },
  prefix: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const brokerHelp = `  --broker <url>       embedded:<file> | <file> | amqp[s]://… | nats://… | redis[s]://…
                       (default: $SWITCHYARD_BROKER, else the embedded broker .switchyard/broker.db)
  --prefix <prefix>    name prefix of the channels on RabbitMQ, JetStream and Redis (default: switchyard)`;

/** The messaging layer's default; a dead-letter channel always has one partition. */
export const defaultPartitions = (channel: string): number => (isDeadLetterChannel(channel) ? 1 : 8);

export function openBroker(values: { broker?: string; prefix?: string }): BrokerAdapter {
  return connectBroker(values.broker ?? defaultBrokerUrl(), {
    ...(values.prefix === undefined ? {} : { prefix: values.prefix }),
  });
}

/**
 * Whether the channel exists, without creating it or touching a group: peek as a group nobody has
 * declared answers NOT_FOUND naming the group when the channel exists, and without it when not.
 */
export async function channelExists(broker: BrokerAdapter, channel: string): Promise<boolean> {
  try {
    await broker.peek(channel, `switchyard-probe-${process.pid}-${Date.now()}`, { limit: 1 });
    return true;
  } catch (error) {
    if (!SwitchyardError.is(error, 'NOT_FOUND')) throw error;
    return error.details.group !== undefined;
  }
}

/** `ensureChannel`, with the way out when the channel exists with another partition count. */
export async function ensureChannel(broker: BrokerAdapter, spec: ChannelSpec): Promise<void> {
  try {
    await broker.ensureChannel(spec);
  } catch (error) {
    if (!SwitchyardError.is(error, 'FAILED_PRECONDITION')) throw error;
    throw new SwitchyardError('FAILED_PRECONDITION', `${error.message}: pass --partitions with its count`, {
      details: error.details,
      cause: error,
    });
  }
}

/** Prints an error as `switchyard <command>: CODE: message`, its violations and other details; returns 1. */
export function failed(io: Io, command: string, error: unknown): number {
  if (!(error instanceof SwitchyardError)) {
    io.err(`switchyard ${command}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  // A driver's own error (connection refused, …) says what went wrong underneath.
  const cause =
    error.cause instanceof Error && !(error.cause instanceof SwitchyardError) ? error.cause.message : '';
  io.err(`switchyard ${command}: ${error.code}: ${error.message}${cause && ` (${cause})`}`);
  const { violations, ...rest } = error.details;
  for (const v of violations ?? []) io.err(`  ${v.path || '/'}: ${v.message}`);
  if (Object.keys(rest).length > 0) io.err(io.style.dim(`  details: ${JSON.stringify(rest)}`));
  return 1;
}

/** Prints what was wrong with the command line, then the help; returns 2. */
export function usage(io: Io, command: string, help: string, problem: string): number {
  io.err(`switchyard ${command}: ${problem}\n\n${help}`);
  return 2;
}

/**
 * Runs a command's `parseArgs`; answers `--help` (exit 0) and a bad command line (exit 2) itself,
 * returning the exit code instead of the arguments.
 */
export function parseCommand<T extends { values: { help?: boolean } }>(
  io: Io,
  command: string,
  help: string,
  parse: () => T,
): T | number {
  let parsed: T;
  try {
    parsed = parse();
  } catch (error) {
    return usage(io, command, help, (error as Error).message);
  }
  if (!parsed.values.help) return parsed;
  io.out(help);
  return 0;
}

/** Positive integer option, or undefined when absent. */
export function positiveInt(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new SwitchyardError('INVALID_ARGUMENT', `--${option} must be a positive integer, not ${value}`);
  return n;
}

type Message = Pick<Delivery, 'channel' | 'partition' | 'id' | 'headers' | 'body'>;

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

function messageLine(message: Message, io: Io): string {
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

const help = `Usage: switchyard tail <channel> [options]

Follows a channel and prints each message (time, partition, type, id, key, body) until Ctrl-C or --count.

Without --group, tail reads as a throwaway group of its own (a fresh name each run), so it takes
nothing from any service; it shows what is published from now on, or with --from-start everything
the engine keeps for a new group (everything retained on the embedded broker, JetStream and Redis;
RabbitMQ keeps nothing for a group that did not exist, so there it is the same as from now on).
A broker adapter that cannot remove a group leaves the throwaway group behind (tail says so).

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

  const started = Date.now();
  const throwaway = values.group === undefined;
  const group = values.group ?? `switchyard-tail-${randomBytes(5).toString('hex')}`;
  let broker: BrokerAdapter | undefined;
  let consumer: Consumer | undefined;
  let declared = false;
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
    const spec = { name: channel, partitions, groups: [group] };
    await ensureChannel(broker, spec);
    declared = true;
    consumer = broker.consume({
      channel: spec,
      group,
      member: `${group}-${process.pid}-${randomBytes(3).toString('hex')}`,
      onEvent: (event) => reportEvent(io, event),
    });
    if (stopping.signal.aborted) return 0;
    io.err(
      io.style.dim(
        `following ${channel} as ${throwaway ? 'throwaway group' : 'group'} ${group} (Ctrl-C to stop)`,
      ),
    );
    const skip = throwaway && !values['from-start'] ? history(started) : () => false;
    let printed = 0;
    for await (const delivery of consumer) {
      if (skip(delivery)) {
        await delivery.ack();
        continue;
      }
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
    if (throwaway && declared && broker) await removeGroup(io, broker, channel, group);
    await broker?.close().catch(() => undefined);
  }
}

/**
 * A new group starts wherever the engine starts it, often at the oldest message kept. What came
 * before tail started is told by `ce-time`: each partition's leading run of older messages is history
 * (acknowledged unseen); from its first newer message on, a partition shows everything, so a message
 * stamped long ago but published now (an outbox catching up) is still shown once live traffic came.
 */
function history(started: number): (delivery: Delivery) => boolean {
  const live = new Set<number>();
  return (delivery) => {
    if (live.has(delivery.partition)) return false;
    const time = Date.parse(delivery.headers['ce-time'] ?? '');
    if (Number.isFinite(time) && time < started) return true;
    live.add(delivery.partition);
    return false;
  };
}

function reportEvent(io: Io, event: ConsumerEvent): void {
  if (event.type === 'disconnected')
    io.err(io.style.yellow(`disconnected: ${(event.error as Error)?.message ?? String(event.error)}`));
  else if (event.type === 'reconnected') io.err(io.style.dim('reconnected'));
}

/** Optional on the adapter seam: an engine that can drop one group's state implements it. */
type GroupRemoval = { deleteGroup?(channel: string, group: string): Promise<void> };

async function removeGroup(io: Io, broker: BrokerAdapter, channel: string, group: string): Promise<void> {
  const removable = broker as BrokerAdapter & GroupRemoval;
  if (typeof removable.deleteGroup === 'function') {
    await removable.deleteGroup(channel, group).catch((error: unknown) => failed(io, 'tail', error));
    return;
  }
  io.err(
    io.style.dim(
      `group ${group} stays on ${channel}: the ${broker.name} adapter cannot remove a group (deleting the channel does)`,
    ),
  );
}
