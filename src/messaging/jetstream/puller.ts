import type { Msg, NatsConnection, Subscription } from 'nats';
import { loadNats } from './link.js';

export interface PullerOptions {
  /** Messages one pull request may bring; with MaxAckPending 1 they come one per settlement. */
  readonly batch: number;
  /** How long one pull request waits on the server. */
  readonly expiresMs: number;
}

/** How long a settlement waits for the server's confirmation before it counts as unconfirmed. */
const confirmTimeoutMs = 5_000;
/** Beyond its expiry, how long before a pull request counts as ended (the server's clock starts later). */
const expiryMarginMs = 250;

const encoder = new TextEncoder();
/** A message carries its ack subject as reply; statuses and confirmations carry none. */
const isMessage = (msg: Msg) => Boolean(msg.reply);

/**
 * One partition worker's conversation with its durable consumer, on one inbox subscription that lives
 * as long as the worker: answers to pull requests (`<inbox>.p`) and confirmations of settlements
 * (`<inbox>.<n>`).
 *
 * One pull request asks for `batch` messages and stays open on the server until it expires; with
 * MaxAckPending 1 the server hands them out one per settlement, so a busy partition sends one request
 * per batch instead of one per message. Settlements carry a reply subject on the same inbox instead of
 * going through `nc.request`, which subscribes, arms a timer and builds an error object per call.
 *
 * An open pull request cannot be withdrawn: the server (2.9) still serves it after the inbox is
 * unsubscribed, and a message it hands to a gone inbox waits out ack_wait. So a partition that leaves
 * this member first lets its request end (`stopPulling`), and only then settles its last message.
 */
export class Puller {
  private waiting: { resolve: (msg: Msg | null) => void; reject: (error: Error) => void } | undefined;
  /** Answers that came while nothing was waiting. */
  private readonly early: Msg[] = [];
  /** Messages the open pull request may still bring; 0 when none is open. */
  private remaining = 0;
  private pullTimer: NodeJS.Timeout | undefined;
  private pullEnded: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  private readonly confirming = new Map<string, { resolve: (confirmed: boolean) => void; at: number }>();
  private readonly sweeper: NodeJS.Timeout;
  private settlements = 0;
  private closed = false;
  private readonly request: Uint8Array;
  private readonly pullReply: string;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly subject: string,
    private readonly inbox: string,
    private readonly options: PullerOptions,
    private readonly sub: Subscription,
  ) {
    this.pullReply = `${inbox}.p`;
    this.request = encoder.encode(
      JSON.stringify({ batch: options.batch, expires: options.expiresMs * 1_000_000 }),
    );
    this.sweeper = setInterval(() => this.expireConfirmations(), 1_000);
    this.sweeper.unref();
  }

  static async open(nc: NatsConnection, subject: string, options: PullerOptions): Promise<Puller> {
    const inbox = (await loadNats()).createInbox();
    // Answers arrive on later turns of the event loop, once `puller` is set.
    const sub = nc.subscribe(`${inbox}.*`, {
      callback: (error, msg) => {
        if (!error) puller.arrived(msg);
      },
    });
    const puller = new Puller(nc, subject, inbox, options, sub);
    return puller;
  }

  private arrived(msg: Msg): void {
    if (msg.subject !== this.pullReply && !isMessage(msg)) {
      const confirmation = this.confirming.get(msg.subject);
      this.confirming.delete(msg.subject);
      return confirmation?.resolve(true);
    }
    // A status (408 expired, 409 consumer gone…) or the last message of the batch ends the request.
    if (!isMessage(msg) || --this.remaining <= 0) this.endPull();
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting.resolve(msg);
    else this.early.push(msg);
  }

  private endPull(): void {
    this.remaining = 0;
    clearTimeout(this.pullTimer);
    this.pullTimer = undefined;
    this.pullEnded?.();
    this.pullEnded = undefined;
  }

  /**
   * The next answer of the consumer: a message, or a status (404, 408, 409…) that ended the pull
   * request; null once pulling stopped. Opens a pull request when none is open.
   */
  next(): Promise<Msg | null> {
    const early = this.early.shift();
    if (early) return Promise.resolve(early);
    if (this.stopping) return Promise.resolve(null);
    const answer = new Promise<Msg | null>((resolve, reject) => (this.waiting = { resolve, reject }));
    if (this.remaining === 0) this.openPull();
    return answer;
  }

  private openPull(): void {
    this.remaining = this.options.batch;
    this.pullTimer = setTimeout(() => {
      // By now the server has ended the request, without a word when part of the batch came (2.9),
      // or lost it in a reconnect: ask again if someone waits.
      this.endPull();
      if (this.waiting && !this.stopping) this.openPull();
    }, this.options.expiresMs + expiryMarginMs);
    try {
      this.nc.publish(this.subject, this.request, { reply: this.pullReply });
    } catch (error) {
      this.endPull();
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.reject(error as Error);
    }
  }

  /**
   * Opens no more pull requests and waits for the open one to end (at most its expiry). Resolves with
   * the messages it still brought, which the caller gives back.
   */
  async stopPulling(): Promise<Msg[]> {
    this.stopping ??=
      this.remaining > 0 ? new Promise<void>((resolve) => (this.pullEnded = resolve)) : Promise.resolve();
    await this.stopping;
    return this.early.splice(0).filter(isMessage);
  }

  /** Sends an ack-protocol message; resolves with whether the server confirmed it in time. */
  settle(reply: string, body: string): Promise<boolean> {
    if (this.closed) {
      // A late settlement (a revoked partition's handler finishing): still worth sending.
      try {
        this.nc.publish(reply, encoder.encode(body));
      } catch {
        // The connection is closed: the server redelivers after ack_wait.
      }
      return Promise.resolve(false);
    }
    const subject = `${this.inbox}.${++this.settlements}`;
    const confirmed = new Promise<boolean>((resolve) =>
      this.confirming.set(subject, { resolve, at: Date.now() }),
    );
    this.nc.publish(reply, encoder.encode(body), { reply: subject });
    return confirmed;
  }

  /** Gives messages back (NAK) in order, once the open pull request ended so that none returns to it. */
  async giveBack(...msgs: Msg[]): Promise<void> {
    const late = await this.stopPulling();
    await Promise.all([...msgs, ...late].map((msg) => this.settle(msg.reply!, '-NAK')));
  }

  /** Unconfirmed: the server redelivers after ack_wait anyway (at least once). */
  private expireConfirmations(): void {
    const before = Date.now() - confirmTimeoutMs;
    for (const [subject, confirmation] of this.confirming) {
      if (confirmation.at > before) break;
      this.confirming.delete(subject);
      confirmation.resolve(false);
    }
  }

  /** Stops pulling, gives back what still came, and waits for the confirmations of what was settled. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.giveBack();
    this.closed = true;
    try {
      await this.sub.drain();
    } catch {
      // The connection is closing.
    }
    clearInterval(this.sweeper);
    for (const confirmation of this.confirming.values()) confirmation.resolve(false);
    this.confirming.clear();
  }
}
