import type { Msg, NatsConnection, Subscription } from 'nats';
import { loadNats } from './link.js';

/**
 * The pull requests of one partition's worker, answered on one inbox subscription that lives as long
 * as the worker. A request per message through `nc.request({ noMux: true })` would subscribe and
 * unsubscribe an inbox each time (JetStream answers a pull with the message's stored subject, which
 * the shared request muxer cannot route, so the muxer is not an option either).
 */
export class Puller {
  private waiting: ((msg: Msg) => void) | undefined;
  /** Answers that came while no pull was waiting (to a pull that had timed out here). */
  private readonly late: Msg[] = [];

  private constructor(
    private readonly nc: NatsConnection,
    private readonly subject: string,
    private readonly inbox: string,
    private readonly sub: Subscription,
    private readonly request: Uint8Array,
  ) {}

  static async open(nc: NatsConnection, subject: string, request: Uint8Array): Promise<Puller> {
    const inbox = (await loadNats()).createInbox();
    // Answers arrive on later turns of the event loop, once `puller` is set.
    const sub = nc.subscribe(inbox, {
      callback: (error, msg) => {
        if (!error) puller.answer(msg);
      },
    });
    const puller = new Puller(nc, subject, inbox, sub, request);
    return puller;
  }

  private answer(msg: Msg): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting(msg);
    else this.late.push(msg);
  }

  /** Sends one pull request and resolves with its answer: a message, or a status (404, 408, 409…). */
  next(timeoutMs: number): Promise<Msg> {
    // A late answer is still an answer (a message the server delivered to this member): take it first.
    const late = this.late.shift();
    if (late) return Promise.resolve(late);
    this.nc.publish(this.subject, this.request, { reply: this.inbox });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(Object.assign(new Error('pull: no answer'), { code: 'TIMEOUT' }));
      }, timeoutMs);
      this.waiting = (msg) => {
        clearTimeout(timer);
        resolve(msg);
      };
    });
  }

  close(): void {
    this.sub.unsubscribe();
  }
}
