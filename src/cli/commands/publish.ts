import { parseArgs } from 'node:util';
import type { AnyContract } from '../../contract/index.js';
import { createEnvelope } from '../../envelope/index.js';
import { SwitchyardError } from '../../errors/index.js';
import type { BrokerAdapter, OutgoingMessage } from '../../messaging/adapter.js';
import { toOutgoing } from '../../messaging/bus/encoding.js';
import type { Io } from '../io.js';
import { failed, parseCommand, positiveInt, usage } from '../command-line.js';
import {
  brokerHelp,
  brokerOptions,
  defaultPartitions,
  ensureChannel,
  openBroker,
} from '../messaging/broker.js';

const help = `Usage: switchyard publish <channel> '<json>' [options]
       switchyard publish '<json>' --contract <module>[#<name>[@major]] --event|--command <name> [options]

Publishes one message and prints its id and partition. Without --contract the body is sent as it is,
in a CloudEvents envelope; with it, it goes through the typed messaging layer: the payload is checked
against the contract's schema (nothing is sent when it breaks it) and routed to the contract's channel.
A command is sent, not awaited: its reply, if any, is not read.

${brokerHelp}
  --key <key>          partition key (default: the contract's partition key field, else the message id)
  --type <type>        CloudEvents type of a raw message (default: switchyard.cli)
  --source <source>    CloudEvents source (default: switchyard-cli)
  --partitions <n>     the channel's partition count, which picks the partition from the key; a channel
                       that does not exist is created with it (default 8; 1 for a .dlq channel)
  --header <name=value>  an extra header (repeatable); the envelope's own headers cannot be replaced
  --contract <module>  a contract module (.ts or .js); #<name>[@major|@version] picks one of several
  --event <name>, --command <name>   the contract's message to send
  --json               print {"id","channel","partition"}`;

/** `switchyard publish`: exit 0 sent, 1 failed (broker, schema), 2 bad usage or a body that is not JSON. */
export async function run(args: string[], io: Io): Promise<number> {
  const parsed = parseCommand(io, 'publish', help, () =>
    parseArgs({
      args,
      allowPositionals: true,
      options: {
        ...brokerOptions,
        key: { type: 'string' },
        type: { type: 'string', default: 'switchyard.cli' },
        source: { type: 'string', default: 'switchyard-cli' },
        partitions: { type: 'string' },
        header: { type: 'string', multiple: true, default: [] },
        contract: { type: 'string' },
        event: { type: 'string' },
        command: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    }),
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const typed = values.contract !== undefined;
  if (typed && (values.event === undefined) === (values.command === undefined))
    return usage(io, 'publish', help, '--contract needs one of --event <name> or --command <name>');
  if (!typed && (values.event !== undefined || values.command !== undefined))
    return usage(io, 'publish', help, '--event and --command need --contract <module>');
  const [channelArg, body] =
    typed && positionals.length === 1 ? [undefined, positionals[0]] : [positionals[0], positionals[1]];
  if ((!typed && channelArg === undefined) || body === undefined || positionals.length > 2)
    return usage(io, 'publish', help, "give a channel and a JSON body: publish <channel> '<json>'");
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch (error) {
    io.err(`switchyard publish: the body is not JSON: ${(error as Error).message}`);
    return 2;
  }

  let broker: BrokerAdapter | undefined;
  try {
    const headers = extraHeaders(values.header);
    const explicit = positiveInt(values.partitions, 'partitions');
    broker = openBroker(values);
    const options = { broker, payload, headers, key: values.key, source: values.source };
    const sent = typed
      ? await publishTyped({
          ...options,
          module: values.contract!,
          kind: values.event === undefined ? 'command' : 'event',
          name: (values.event ?? values.command)!,
          channel: channelArg,
          partitions: explicit,
        })
      : await publishRaw({
          ...options,
          channel: channelArg!,
          type: values.type,
          partitions: explicit ?? defaultPartitions(channelArg!),
        });
    const { id, channel, partition } = sent;
    io.out(
      values.json
        ? JSON.stringify({ id, channel, partition })
        : `published ${id} to ${channel} (partition ${partition})`,
    );
    return 0;
  } catch (error) {
    return failed(io, 'publish', error);
  } finally {
    await broker?.close();
  }
}

function extraHeaders(pairs: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1)
      throw new SwitchyardError('INVALID_ARGUMENT', `--header takes name=value, not ${JSON.stringify(pair)}`);
    headers[pair.slice(0, at).trim().toLowerCase()] = pair.slice(at + 1);
  }
  return headers;
}

/** The envelope's headers win: a `--header` may add, never replace (ids and types must stay consistent). */
function withHeaders(message: OutgoingMessage, extra: Record<string, string>): OutgoingMessage {
  const clash = Object.keys(extra).filter((name) => name in message.headers);
  if (clash.length > 0)
    throw new SwitchyardError('INVALID_ARGUMENT', `--header cannot replace ${clash.join(', ')}`, {
      details: { headers: clash },
    });
  return { ...message, headers: { ...extra, ...message.headers } };
}

interface PublishInput {
  readonly broker: BrokerAdapter;
  readonly payload: unknown;
  readonly headers: Record<string, string>;
  readonly key: string | undefined;
  readonly source: string;
}

async function publishRaw(
  input: PublishInput & { channel: string; type: string; partitions: number },
): Promise<OutgoingMessage> {
  const { broker, channel, partitions } = input;
  const envelope = createEnvelope({
    source: input.source,
    type: input.type,
    data: input.payload,
    partitionkey: input.key,
  });
  const message = withHeaders(toOutgoing(envelope, { channel, partitions }), input.headers);
  await ensureChannel(broker, { name: channel, partitions });
  await broker.publish([message]);
  return message;
}

async function publishTyped(
  input: PublishInput & {
    module: string;
    kind: 'command' | 'event';
    name: string;
    channel: string | undefined;
    partitions: number | undefined;
  },
): Promise<OutgoingMessage> {
  const { broker, kind, name } = input;
  // Contracts and the typed bus load only for --contract: raw publishes and the other commands start faster.
  const [{ commandChannel, eventChannel }, { createMessaging }] = await Promise.all([
    import('../../contract/index.js'),
    import('../../messaging/bus/messaging.js'),
  ]);
  const contract = await contractWith(input.module, kind, name);
  const channel = kind === 'event' ? eventChannel(contract, name) : commandChannel(contract, name);
  if (input.channel !== undefined && input.channel !== channel)
    throw new SwitchyardError(
      'INVALID_ARGUMENT',
      `${contract.name}.${name} goes to channel ${channel}, not ${input.channel}`,
    );
  const partitions = input.partitions ?? defaultPartitions(channel);
  const bus = createMessaging({
    broker,
    service: input.source,
    channels: { [channel]: { partitions } },
  });
  try {
    // What `send`/`publish` do, in steps: the schema check comes before anything touches the broker.
    const prepared = bus.prepare(
      { contract, kind, name, payload: input.payload },
      input.key === undefined ? {} : { key: input.key },
    );
    const message = withHeaders(prepared, input.headers);
    await ensureChannel(broker, { name: channel, partitions });
    await broker.publish([message]);
    return message;
  } finally {
    await bus.close();
  }
}

/** The one contract of the module (after the `#` selector) that has the message. */
async function contractWith(spec: string, kind: 'command' | 'event', name: string): Promise<AnyContract> {
  const hash = spec.lastIndexOf('#');
  const [path, selector] = hash > 0 ? [spec.slice(0, hash), spec.slice(hash + 1)] : [spec, undefined];
  const { label, loadContracts, pickContracts } = await import('../load-module.js');
  const all = pickContracts(await loadContracts(path), selector);
  const having = all.filter((c) => Object.hasOwn(kind === 'event' ? c.events : c.commands, name));
  if (having.length === 0)
    throw new SwitchyardError(
      'NOT_FOUND',
      `No contract of ${path} has ${kind} ${name} (it has ${all.map(label).join(', ')})`,
      { details: { [kind]: name } },
    );
  if (having.length > 1)
    throw new SwitchyardError(
      'INVALID_ARGUMENT',
      `${having.map(label).join(', ')} all have ${kind} ${name}: pick one with --contract ${path}#<name>@<major>`,
    );
  return having[0]!;
}
