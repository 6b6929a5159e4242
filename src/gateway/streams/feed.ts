import type { AnyContract } from '../../contract/index.js';
import type { Messaging, Subscription } from '../../messaging/bus/index.js';
import type { Identity } from '../policies/seams.js';

/** One event as streams send it. */
export interface StreamEvent {
  readonly id: string;
  readonly event: string;
  readonly payload: unknown;
}

export type Listener = (event: StreamEvent) => void;

/** A channel's events fanned out to the streams connected to this gateway. */
export interface EventFeed {
  listen(listener: Listener): () => void;
  readonly listeners: number;
  close(): Promise<void>;
}

/**
 * Subscribes to a contract's events with a consumer group of this gateway's own (every group gets
 * every event; members of one group would split them), and hands each event to every connected
 * stream. Events with nobody connected are acknowledged and dropped: streams show what happens while
 * a client watches, they do not replay history.
 */
export async function eventFeed(options: {
  messaging: Messaging;
  contract: AnyContract;
  events: readonly string[];
  group: string;
}): Promise<EventFeed> {
  const listeners = new Set<Listener>();
  const handlers: Record<string, (payload: unknown, ctx: unknown, message: { id: string }) => void> = {};
  for (const event of options.events)
    handlers[event] = (payload, _ctx, message) => {
      const item = { id: message.id, event, payload };
      for (const listener of listeners) listener(item);
    };
  const subscription: Subscription = await options.messaging.subscribe(options.contract, handlers as never, {
    group: options.group,
  });
  return {
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
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
