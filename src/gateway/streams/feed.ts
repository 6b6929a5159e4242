import type { AnyContract } from '../../contract/index.js';
import type { Messaging, Subscription } from '../../messaging/bus/index.js';
import type { Identity } from '../policies/seams.js';
import { RecentEvents } from './recent-events.js';

/** One event as streams send it. */
export interface StreamEvent {
  readonly id: string;
  readonly event: string;
  readonly payload: unknown;
}

export type Listener = (event: StreamEvent) => void;

/** A channel's events fanned out to the streams connected to this gateway. */
export interface EventFeed {
  /**
   * Hands `listener` every event from now on. With `after` (a client's Last-Event-ID), the events
   * this gateway passed on since that one come first, and `resumed` says whether it still had it.
   */
  listen(listener: Listener, after?: string): { stop(): void; resumed: boolean };
  readonly listeners: number;
  close(): Promise<void>;
}

/** Events kept for clients that reconnect, by default: about a minute of a busy stream. */
export const defaultReplayEvents = 1_000;

/**
 * Subscribes to a contract's events with a consumer group of this gateway's own (every group gets
 * every event; members of one group would split them), and hands each event to every connected
 * stream. The last `replayEvents` events are kept, so a client that lost its connection and comes
 * back with the id of the last event it saw (SSE's Last-Event-ID) gets what it missed; further back,
 * streams do not replay history.
 */
export async function eventFeed(options: {
  messaging: Messaging;
  contract: AnyContract;
  events: readonly string[];
  group: string;
  replayEvents?: number;
}): Promise<EventFeed> {
  const listeners = new Set<Listener>();
  const capacity = options.replayEvents ?? defaultReplayEvents;
  const recent = new RecentEvents(capacity);
  const handlers: Record<string, (payload: unknown, ctx: unknown, message: { id: string }) => void> = {};
  for (const event of options.events)
    handlers[event] = (payload, _ctx, message) => {
      const item = { id: message.id, event, payload };
      if (capacity > 0) {
        // A redelivered event keeps its id: clients got it the first time.
        if (recent.has(item.id)) return;
        recent.push(item);
      }
      for (const listener of listeners) listener(item);
    };
  const subscription: Subscription = await options.messaging.subscribe(options.contract, handlers as never, {
    group: options.group,
  });
  return {
    listen(listener, after) {
      // Replay and registration happen in one turn: no event can fall between them.
      const resumed = after !== undefined && recent.has(after);
      if (resumed) for (const event of recent.after(after)) listener(event);
      listeners.add(listener);
      return { stop: () => void listeners.delete(listener), resumed };
    },
    get listeners() {
      return listeners.size;
    },
    close: () => subscription.close(),
  };
}

/** Who may see an event: everyone, or the owner it names (and callers with one of `allRoles`). */
export interface Visibility {
  readonly owner?: { readonly field: string; readonly identity?: 'subject' | 'clientId' };
  readonly allRoles?: readonly string[];
}

export function visibleTo(
  visibility: Visibility,
  identity: Identity | undefined,
): (event: StreamEvent) => boolean {
  const owner = visibility.owner;
  if (!owner) return () => true;
  if (identity && visibility.allRoles?.some((role) => identity.roles.includes(role))) return () => true;
  const mine = identity?.[owner.identity ?? 'subject'];
  if (mine === undefined) return () => false;
  return (event) => (event.payload as Record<string, unknown> | null)?.[owner.field] === mine;
}
