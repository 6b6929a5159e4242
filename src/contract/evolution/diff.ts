import type { Bump } from '../semver.js';
import type { CommandSnapshot, ContractSnapshot, EventSnapshot, OperationSnapshot } from '../snapshot.js';
import type { Deprecation } from '../types.js';
import { diffProtoNumbers } from './proto-diff.js';
import { change, type Change, type ChangeClass } from './rules.js';
import { diffSchema } from './schema-diff.js';

export interface DiffOptions {
  /** When sunset dates are judged; today by default. Tests pin it. */
  readonly now?: Date;
}

interface Member {
  readonly description?: string;
  readonly deprecated?: Deprecation;
}

/**
 * Every change from `old` to `next`, in a stable order: contract, operations, commands, events,
 * channels, protobuf numbers. A rename shows as a removal plus an addition.
 */
export function diffContracts(
  old: ContractSnapshot,
  next: ContractSnapshot,
  options: DiffOptions = {},
): Change[] {
  const now = (options.now ?? new Date()).getTime();
  const out: Change[] = [];
  if (old.name !== next.name) out.push(change('contract-renamed', 'name', `${old.name} → ${next.name}`));
  if (old.protoPackage !== next.protoPackage)
    out.push(change('proto-package-changed', 'protoPackage', `${old.protoPackage} → ${next.protoPackage}`));
  out.push(...meta(old, next, ''));
  const members = { out, now, inherited: old.deprecated };
  diffMembers({
    ...members,
    group: 'operations',
    before: old.operations,
    after: next.operations,
    compare: operation,
  });
  diffMembers({
    ...members,
    group: 'commands',
    before: old.commands,
    after: next.commands,
    compare: command,
  });
  diffMembers({ ...members, group: 'events', before: old.events, after: next.events, compare: event });
  out.push(...diffChannels(old, next, now));
  out.push(...diffProtoNumbers(old.protobuf, next.protobuf));
  return out;
}

const bumpOf: Record<ChangeClass, Bump> = { breaking: 'major', 'non-breaking': 'minor', patch: 'patch' };
const bumpOrder: readonly Bump[] = ['none', 'patch', 'minor', 'major'];

/** The smallest version bump that may carry these changes. */
export function requiredBump(changes: readonly Change[]): Bump {
  let bump: Bump = 'none';
  for (const c of changes) if (bumpRank(bumpOf[c.class]) > bumpRank(bump)) bump = bumpOf[c.class];
  return bump;
}

export function bumpRank(bump: Bump): number {
  return bumpOrder.indexOf(bump);
}

interface MembersOptions<T extends Member> {
  readonly out: Change[];
  readonly now: number;
  /** The old contract's own deprecation: removing anything from a sunset contract is allowed too. */
  readonly inherited: Deprecation | undefined;
  readonly group: 'operations' | 'commands' | 'events';
  readonly before: Record<string, T>;
  readonly after: Record<string, T>;
  readonly compare: (a: T, b: T, at: string) => Change[];
}

const singular = { operations: 'operation', commands: 'command', events: 'event' } as const;

function diffMembers<T extends Member>(o: MembersOptions<T>): void {
  const noun = singular[o.group];
  for (const [name, member] of Object.entries(o.before)) {
    if (name in o.after) continue;
    const at = `${o.group}.${name}`;
    const deprecation = member.deprecated ?? o.inherited;
    if (isSunset(deprecation, o.now))
      o.out.push(
        change(
          `${noun}-removed-after-sunset`,
          at,
          `${noun} ${name} removed after its sunset ${deprecation?.sunset}`,
        ),
      );
    else o.out.push(change(`${noun}-removed`, at, `${noun} ${name} removed${whyNotSunset(deprecation)}`));
  }
  for (const name of Object.keys(o.after))
    if (!(name in o.before))
      o.out.push(change(`${noun}-added`, `${o.group}.${name}`, `${noun} ${name} added`));
  for (const [name, a] of Object.entries(o.before)) {
    const b = o.after[name];
    if (b === undefined) continue;
    const at = `${o.group}.${name}`;
    o.out.push(...o.compare(a, b, at), ...meta(a, b, `${at}.`));
  }
}

function operation(a: OperationSnapshot, b: OperationSnapshot, at: string): Change[] {
  const out: Change[] = [];
  if (a.http.method !== b.http.method)
    out.push(change('http-method-changed', `${at}.http.method`, `${a.http.method} → ${b.http.method}`));
  // `/orders/:id` and `/orders/:orderId` are the same URL; the field rename is reported on the input.
  const template = (path: string) => path.replace(/:[^/]+/g, ':');
  if (template(a.http.path) !== template(b.http.path))
    out.push(change('http-path-changed', `${at}.http.path`, `${a.http.path} → ${b.http.path}`));
  if (a.idempotent !== b.idempotent)
    out.push(
      b.idempotent
        ? change('idempotency-added', `${at}.idempotent`, 'now idempotent')
        : change(
            'idempotency-removed',
            `${at}.idempotent`,
            'no longer idempotent; clients must stop retrying it',
          ),
    );
  for (const code of a.errors)
    if (!b.errors.includes(code))
      out.push(change('error-code-removed', `${at}.errors`, `error code ${code} removed`));
  for (const code of b.errors)
    if (!a.errors.includes(code))
      out.push(change('error-code-added', `${at}.errors`, `error code ${code} added`));
  out.push(...diffSchema(a.input, b.input, { direction: 'request', location: `${at}.input` }));
  out.push(...diffSchema(a.output, b.output, { direction: 'response', location: `${at}.output` }));
  return out;
}

function command(a: CommandSnapshot, b: CommandSnapshot, at: string): Change[] {
  const out = [...messageRouting(a, b, at)];
  out.push(...diffSchema(a.payload, b.payload, { direction: 'request', location: `${at}.payload` }));
  if (a.reply && b.reply)
    out.push(...diffSchema(a.reply, b.reply, { direction: 'response', location: `${at}.reply` }));
  else if (a.reply) out.push(change('reply-removed', `${at}.reply`, 'the command no longer replies'));
  else if (b.reply) out.push(change('reply-added', `${at}.reply`, 'the one-way command now replies'));
  return out;
}

function event(a: EventSnapshot, b: EventSnapshot, at: string): Change[] {
  // Consumers read events the way clients read responses.
  return [
    ...messageRouting(a, b, at),
    ...diffSchema(a.payload, b.payload, { direction: 'response', location: `${at}.payload` }),
  ];
}

function messageRouting(
  a: CommandSnapshot | EventSnapshot,
  b: CommandSnapshot | EventSnapshot,
  at: string,
): Change[] {
  const out: Change[] = [];
  if (a.channel !== b.channel)
    out.push(change('channel-changed', `${at}.channel`, `${a.channel} → ${b.channel}`));
  if (a.partitionKey !== b.partitionKey)
    out.push(
      change(
        'partition-key-changed',
        `${at}.partitionKey`,
        `${a.partitionKey ?? 'none'} → ${b.partitionKey ?? 'none'}; ordering of related messages changes`,
      ),
    );
  return out;
}

/** Description and deprecation of the contract (prefix '') or of one member (prefix 'operations.x.'). */
function meta(a: Member, b: Member, prefix: string): Change[] {
  const out: Change[] = [];
  if (a.description !== b.description)
    out.push(change('description-changed', `${prefix}description`, 'description changed'));
  const at = `${prefix}deprecated`;
  if (!a.deprecated && b.deprecated)
    out.push(change('deprecated-added', at, `deprecated${sunsetNote(b.deprecated)}`));
  else if (a.deprecated && !b.deprecated) out.push(change('deprecated-removed', at, 'no longer deprecated'));
  else if (a.deprecated && b.deprecated && JSON.stringify(a.deprecated) !== JSON.stringify(b.deprecated))
    out.push(change('deprecation-changed', at, `deprecation changed${sunsetNote(b.deprecated)}`));
  return out;
}

function diffChannels(old: ContractSnapshot, next: ContractSnapshot, now: number): Change[] {
  const before = channelUsers(old);
  const after = channelUsers(next);
  const out: Change[] = [];
  for (const [channel, users] of before) {
    if (after.has(channel)) continue;
    const at = `channels[${JSON.stringify(channel)}]`;
    // Allowed only when everything on it went away after its sunset, not when it merely moved.
    const retired = users.every(
      (u) => !(u.name in next[u.group]) && isSunset(u.member.deprecated ?? old.deprecated, now),
    );
    out.push(
      retired
        ? change('channel-removed-after-sunset', at, `channel ${channel} removed after its messages' sunset`)
        : change('channel-removed', at, `channel ${channel} no longer used`),
    );
  }
  for (const channel of after.keys())
    if (!before.has(channel))
      out.push(change('channel-added', `channels[${JSON.stringify(channel)}]`, `channel ${channel} added`));
  return out;
}

interface ChannelUser {
  readonly group: 'commands' | 'events';
  readonly name: string;
  readonly member: CommandSnapshot | EventSnapshot;
}

function channelUsers(snapshot: ContractSnapshot): Map<string, ChannelUser[]> {
  const users = new Map<string, ChannelUser[]>();
  for (const group of ['commands', 'events'] as const)
    for (const [name, member] of Object.entries(snapshot[group])) {
      const list = users.get(member.channel) ?? [];
      list.push({ group, name, member });
      users.set(member.channel, list);
    }
  return users;
}

function isSunset(deprecation: Deprecation | undefined, now: number): boolean {
  if (!deprecation?.sunset) return false;
  const sunset = Date.parse(deprecation.sunset);
  return !Number.isNaN(sunset) && sunset < now;
}

function whyNotSunset(deprecation: Deprecation | undefined): string {
  if (!deprecation) return '';
  if (!deprecation.sunset) return ' (deprecated, but without a sunset date)';
  return ` (deprecated, but its sunset ${deprecation.sunset} has not passed)`;
}

function sunsetNote(deprecation: Deprecation): string {
  return deprecation.sunset ? `; sunset ${deprecation.sunset}` : '';
}
