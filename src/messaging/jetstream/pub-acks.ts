import type { Msg, MsgHdrs, NatsConnection, Subscription } from 'nats';
import { loadNats } from './link.js';

interface Waiting {
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const decoder = new TextDecoder();

/** A JetStream publish that failed: `code` is '503' (no responders), 'TIMEOUT' or JetStream's error code. */
export type PublishError = Error & { code: string };

const failure = (message: string, code: string): PublishError => Object.assign(new Error(message), { code });

/**
 * JetStream publishes awaiting their PubAck, answered on one inbox subscription per connection
 * (`<inbox>.<n>`). `js.publish` goes through `nc.request`, which builds an error object per call
 * (the cancellation it never throws) and keeps a muxer entry; at tens of thousands of publishes a
 * second that was the publisher's largest cost.
 */
export class PubAcks {
  private readonly waiting = new Map<string, Waiting>();
  private sequence = 0;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly inbox: string,
    private readonly sub: Subscription,
  ) {}

  static async open(nc: NatsConnection): Promise<PubAcks> {
    const inbox = (await loadNats()).createInbox();
    const sub = nc.subscribe(`${inbox}.*`, {
      callback: (error, msg) => {
        if (!error) acks.answer(msg);
      },
    });
    const acks = new PubAcks(nc, inbox, sub);
    return acks;
  }

  get connection(): NatsConnection {
    return this.nc;
  }

  /** Publishes and resolves once JetStream stored the message (or already had its `Nats-Msg-Id`). */
  publish(subject: string, body: Uint8Array, headers: MsgHdrs, timeoutMs: number): Promise<void> {
    const reply = `${this.inbox}.${++this.sequence}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(reply);
        reject(failure('JetStream sent no PubAck in time', 'TIMEOUT'));
      }, timeoutMs);
      this.waiting.set(reply, { resolve, reject, timer });
      try {
        this.nc.publish(subject, body, { reply, headers });
      } catch (error) {
        clearTimeout(timer);
        this.waiting.delete(reply);
        reject(error as Error);
      }
    });
  }

  private answer(msg: Msg): void {
    const waiting = this.waiting.get(msg.subject);
    if (!waiting) return;
    this.waiting.delete(msg.subject);
    clearTimeout(waiting.timer);
    const status = msg.headers?.code ?? 0;
    if (status === 503) return waiting.reject(failure('no responders', '503'));
    if (status >= 400) return waiting.reject(failure(msg.headers?.description ?? 'error', String(status)));
    try {
      const ack = JSON.parse(decoder.decode(msg.data)) as {
        error?: { code?: number; err_code?: number; description?: string };
      };
      if (!ack.error) return waiting.resolve();
      waiting.reject(
        failure(
          ack.error.description ?? 'JetStream refused the message',
          String(ack.error.err_code ?? ack.error.code),
        ),
      );
    } catch (error) {
      waiting.reject(error as Error);
    }
  }

  close(): void {
    this.sub.unsubscribe();
    for (const waiting of this.waiting.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(failure('The JetStream adapter is closed', 'CLOSED'));
    }
    this.waiting.clear();
  }
}
