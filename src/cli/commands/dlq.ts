import { parseArgs } from 'node:util';
import { SwitchyardError } from '../../errors/index.js';
import type { BrokerAdapter } from '../../messaging/adapter.js';
import { deadLetterChannel, deadLetterGroup, isDeadLetterChannel } from '../../messaging/bus/dead-letter.js';
import type { Io } from '../io.js';
import { failed, parseCommand, positiveInt, usage } from '../command-line.js';
import { brokerHelp, brokerOptions, channelExists, openBroker } from '../messaging/broker.js';
import {
  type DlqContext,
  errorText,
  letterId,
  letterOf,
  letters,
  scanLimit,
} from '../messaging/dead-letters.js';
import { bodyText, messageJson, toJson } from '../messaging/messages.js';
import { replay } from './dlq-replay.js';

const help = `Usage: switchyard dlq <subcommand> <channel> [options]

The dead letters of channel X are kept in X.dlq; <channel> may be given with or without .dlq.

  list <channel>             id, time, reason, attempts, group and error of each dead letter
      --limit <n>            show at most n (default 100)
  show <channel> <id>        one dead letter: where and why it failed, its headers and body
  replay <channel> --all | --id <id> [--id <id>]…
                             sends dead letters back to their channel, marked so that only the group
                             they failed in handles them again, and removes them from X.dlq
  purge <channel> --yes      deletes every dead letter of X.dlq
  --json                     (list, show) machine-readable output

${brokerHelp}

replay --id: X.dlq is one partition read in order, and a dead letter can be removed only after every
one ahead of it. The dead letters ahead of a selected one are therefore moved to the end of X.dlq
(their id, time, reason and error kept), then the selected one is replayed. Those after the last
selected one, and any that arrive during the replay, are not touched.

list and show read without consuming; on RabbitMQ reading counts as a delivery of each dead letter
shown, and is refused while a replay holds X.dlq.`;

/** `switchyard dlq`: exit 0 done, 1 failed, 2 bad usage. */
export async function run(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    io.out(help);
    return sub === undefined ? 2 : 0;
  }
  if (!['list', 'show', 'replay', 'purge'].includes(sub))
    return usage(io, 'dlq', help, `unknown subcommand ${sub}`);
  const parsed = parseCommand(io, 'dlq', help, () =>
    parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        ...brokerOptions,
        json: { type: 'boolean', default: false },
        limit: { type: 'string' },
        id: { type: 'string', multiple: true, default: [] },
        all: { type: 'boolean', default: false },
        yes: { type: 'boolean', default: false },
      },
    }),
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [channel, id] = positionals;
  if (channel === undefined) return usage(io, 'dlq', help, `dlq ${sub} needs a channel`);
  if (sub === 'show' ? id === undefined || positionals.length > 2 : positionals.length > 1)
    return usage(
      io,
      'dlq',
      help,
      sub === 'show' ? 'dlq show <channel> <id>' : `dlq ${sub} takes one channel`,
    );
  if (sub === 'replay' && values.all === values.id.length > 0)
    return usage(io, 'dlq', help, 'dlq replay needs --all or --id <id> (not both)');
  if (sub === 'purge' && !values.yes)
    return usage(io, 'dlq', help, `purge deletes every dead letter of ${dlqOf(channel)}: add --yes`);

  const dlq = dlqOf(channel);
  let broker: BrokerAdapter | undefined;
  try {
    const limit = positiveInt(values.limit, 'limit') ?? 100;
    broker = openBroker(values);
    const ctx = { io, broker, dlq, json: values.json };
    if (sub === 'list') return await list(ctx, limit);
    if (sub === 'show') return await show(ctx, id!);
    if (sub === 'replay') return await replay(ctx, values.all ? undefined : new Set(values.id));
    return await purge(ctx);
  } catch (error) {
    return failed(io, `dlq ${sub}`, error);
  } finally {
    await broker?.close().catch(() => undefined);
  }
}

const dlqOf = (channel: string) => (isDeadLetterChannel(channel) ? channel : deadLetterChannel(channel));

async function list({ io, ...ctx }: DlqContext, limit: number): Promise<number> {
  const found = (await letters({ io, ...ctx }, limit)).map(letterOf);
  if (ctx.json) {
    io.out(toJson(found, 2));
    return 0;
  }
  if (found.length > 0) {
    const rows = [
      ['ID', 'TIME', 'REASON', 'ATTEMPTS', 'GROUP', 'ERROR'],
      ...found.map((l) => [l.id, l.time, l.reason, l.attempts, l.group, errorText(l.error)]),
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const width = io.tty ? (process.stdout.columns ?? Infinity) : Infinity;
    for (const [i, row] of rows.entries()) {
      const line = row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ');
      const cut = line.length > width ? `${line.slice(0, width - 1)}…` : line;
      io.out(i === 0 ? io.style.bold(cut) : cut);
    }
  }
  const more = found.length === limit ? ` (the first ${limit}: --limit shows more)` : '';
  io.out(io.style.dim(`${found.length} dead letter${found.length === 1 ? '' : 's'} in ${ctx.dlq}${more}`));
  return 0;
}

async function show(ctx: DlqContext, id: string): Promise<number> {
  const { io } = ctx;
  const all = await letters(ctx, scanLimit);
  let matches = all.filter((m) => letterId(m) === id);
  // The id of the original message (its `ce-id`) finds it too, once per group it failed in.
  if (matches.length === 0) matches = all.filter((m) => m.headers['ce-id'] === id);
  if (matches.length === 0)
    throw new SwitchyardError('NOT_FOUND', `No dead letter ${id} in ${ctx.dlq}`, {
      details: { channel: ctx.dlq, id, searched: all.length },
    });
  if (ctx.json) {
    io.out(toJson(matches.map((m) => ({ ...messageJson(m), ...letterOf(m) }), 2)));
    return 0;
  }
  for (const m of matches) {
    const l = letterOf(m);
    const field = (name: string, value: string) => io.out(`${io.style.bold(name.padEnd(10))}${value}`);
    field('id', l.id);
    field('type', l.type);
    field('failed in', `group ${l.group} of ${l.channel} (partition ${l.partition})`);
    field('reason', `${l.reason} after ${l.attempts} attempt(s)`);
    field('time', l.time);
    field('error', errorText(l.error));
    if (l.error.details !== undefined) io.out(indent(toJson(l.error.details, 2)));
    io.out(io.style.bold('headers'));
    for (const name of Object.keys(m.headers).sort()) io.out(`  ${name}: ${m.headers[name]}`);
    io.out(io.style.bold(`body (${m.headers['content-type'] ?? 'no content type'})`));
    io.out(indent(bodyText(m, 2)));
  }
  return 0;
}

const indent = (text: string) => text.replace(/^/gm, '  ');

/** Deletes X.dlq and declares it again at once, so services dead-lettering into it keep working. */
async function purge(ctx: DlqContext): Promise<number> {
  const { io, broker, dlq } = ctx;
  if (!(await channelExists(broker, dlq)))
    throw new SwitchyardError('NOT_FOUND', `${dlq} does not exist`, { details: { channel: dlq } });
  const count = await letters(ctx, scanLimit).then(
    (found) => `${found.length}${found.length === scanLimit ? '+' : ''} dead letters`,
    () => 'the dead letters',
  );
  await broker.deleteChannel(dlq);
  await broker.ensureChannel({ name: dlq, partitions: 1, groups: [deadLetterGroup] });
  io.out(`purged ${count} of ${dlq}`);
  return 0;
}
