import type { BrokerAdapter, Capabilities, ChannelSpec } from '../adapter.js';
import { allAssigned, Member, unique, type Handler } from './support.js';

/**
 * What the suite knows about an adapter beyond the seam's `Capabilities`. The seam's flags come from
 * `adapter.capabilities`; these come from the harness. A case is skipped only when a flag says the
 * adapter lacks the feature, and the skip message names the flag.
 *
 * Seam flags (`adapter.capabilities`), and what the suite does with them:
 * - `publishDedup`: publishing a message id already published (inside the adapter's window) is
 *   accepted and delivered once. Tested only when true.
 * - `persistent`: acknowledged-as-published messages survive an engine restart. The restart case
 *   runs only when true AND the harness has `restartEngine`.
 * - `brokerSideDelay`: `nak(delayMs)` is held by the engine: a member that closes after a nak does
 *   not make the message available to the next owner before the delay. Tested only when true; the
 *   in-process delay (redelivery no sooner than the delay) is tested for every adapter.
 * - `passivePeek`: when true, `peek` changes no delivery count and shows a message a live member
 *   holds; when false, the suite checks the documented cost instead: each peek raises the count of
 *   every message it showed by one, and a partition a member consumes is refused (FAILED_PRECONDITION).
 * - `lagReadyOnly`: when true, `lag` leaves out a message a member holds unacknowledged, and the suite
 *   expects exactly that; otherwise it is counted. The lag cases are skipped when `adapter.lag` is absent.
 */
export interface SuiteCapabilities {
  /**
   * Two live members of a group split the partitions between them (embedded leases, Redis leases).
   * False for engines that give every partition to the first subscriber and move it only when that
   * member goes (RabbitMQ single active consumer). Either way each partition has one owner at a time.
   * Default true.
   */
  readonly balancedAssignment?: boolean;
  /**
   * A group that consumes for the first time receives messages published before it existed (a log
   * with retention). False when a group only receives what is published after its first consumer
   * subscribed or it was declared (RabbitMQ queues). Default false; the other cases never depend on
   * it: they declare their groups or open their consumers and wait for `assigned` before publishing.
   */
  readonly historyForNewGroups?: boolean;
}

export interface BrokerHarness {
  /** A new adapter connected to the engine under test; the suite closes it. */
  create(): Promise<BrokerAdapter>;
  /**
   * Absolute path of a module exporting `createAdapter(): Promise<BrokerAdapter>`, loaded by the
   * member processes of the kill-and-rebalance case (`member-process.ts`).
   */
  childModule: string;
  /** Extra environment for member processes (engine URL, SQLite file, lease time). */
  childEnv?: Record<string, string>;
  /** Stops and starts the engine the adapter talks to; absent: the engine-restart case is skipped. */
  restartEngine?(): Promise<void>;
  capabilities?: SuiteCapabilities;
  /**
   * The longest a partition of a dead (SIGKILLed) member stays unowned: lease + renewal period,
   * consumer timeout, heartbeat timeout. Bounds the takeover wait. Default 10 s.
   */
  takeoverMs?: number;
  /**
   * The longest a channel outlives its `idleExpiryMs` before it is gone (the engine's expiry check or
   * the adapter's sweep period). Default 15 s.
   */
  expiryLagMs?: number;
}

type TrackMember = (m: Member) => Member;

/** What every group of cases shares: the harness, its flags, and fresh channels that clean up after themselves. */
export interface SuiteContext {
  readonly name: string;
  readonly harness: BrokerHarness;
  readonly suiteCaps: Required<SuiteCapabilities>;
  readonly takeoverMs: number;
  readonly expiryLagMs: number;
  /** The seam's flags of the adapter under test (known once a case created one). */
  caps(): Capabilities | undefined;
  /** Runs `body` with a fresh adapter and channel; closes and deletes both whatever happens. */
  withChannel(
    partitions: number,
    body: (adapter: BrokerAdapter, spec: ChannelSpec, track: TrackMember) => Promise<void>,
    extra?: Pick<ChannelSpec, 'groups' | 'idleExpiryMs'>,
  ): Promise<void>;
  /** Opens a member and waits until it holds every partition (it is the group's only member). */
  soleMember(
    adapter: BrokerAdapter,
    spec: ChannelSpec,
    track: TrackMember,
    group?: string,
    handler?: Handler,
  ): Promise<Member>;
}

export function suiteContext(name: string, harness: BrokerHarness): SuiteContext {
  let caps: Capabilities | undefined;
  return {
    name,
    harness,
    suiteCaps: { balancedAssignment: true, historyForNewGroups: false, ...harness.capabilities },
    takeoverMs: harness.takeoverMs ?? 10_000,
    expiryLagMs: harness.expiryLagMs ?? 15_000,
    caps: () => caps,
    async withChannel(partitions, body, extra) {
      const adapter = await harness.create();
      caps = adapter.capabilities;
      const spec: ChannelSpec = { name: unique('ch'), partitions, ...extra };
      const members: Member[] = [];
      try {
        await adapter.ensureChannel(spec);
        await body(adapter, spec, (m) => (members.push(m), m));
      } finally {
        await Promise.allSettled(members.map((m) => m.consumer.close()));
        await adapter.deleteChannel(spec.name).catch(() => {});
        await adapter.close();
      }
    },
    async soleMember(adapter, spec, track, group = unique('g'), handler) {
      const m = track(new Member(adapter, spec, group, unique('member'), handler));
      await allAssigned([m], spec.partitions);
      return m;
    },
  };
}
