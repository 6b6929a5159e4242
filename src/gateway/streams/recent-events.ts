import type { StreamEvent } from './feed.js';

/** The last `capacity` events in a ring, found by id in constant time on a busy stream. */
export class RecentEvents {
  private readonly ring: StreamEvent[] = [];
  /** Id → the event's position in the stream (its slot is position % capacity). */
  private readonly positions = new Map<string, number>();
  private next = 0;

  constructor(private readonly capacity: number) {}

  has(id: string): boolean {
    return this.positions.has(id);
  }

  push(event: StreamEvent): void {
    const slot = this.next % this.capacity;
    const evicted = this.ring[slot];
    if (evicted) this.positions.delete(evicted.id);
    this.ring[slot] = event;
    this.positions.set(event.id, this.next++);
  }

  /** The events kept after `id`, oldest first. */
  *after(id: string): Generator<StreamEvent> {
    const position = this.positions.get(id);
    if (position === undefined) return;
    for (let p = position + 1; p < this.next; p++) yield this.ring[p % this.capacity]!;
  }
}
