import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Msg, NatsConnection } from 'nats';
import { loadNats } from './link.js';
import { Puller } from './puller.js';

// The puller's side of the pull protocol, against a consumer scripted by the test on a plain NATS
// subject: the server's own consumer cannot be made to end a request silently on cue.
const servers = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

let nats: Awaited<ReturnType<typeof loadNats>>;
let nc: NatsConnection;
before(async () => {
  nats = await loadNats();
  nc = await nats.connect({ servers });
});
after(async () => {
  await nc.close();
});

const encoder = new TextEncoder();

/** A scripted consumer: records each pull request and lets the test answer it. */
function scriptedConsumer() {
  const subject = `test.pull.${randomBytes(4).toString('hex')}`;
  const requests: { reply: string; batch: number; expires: number; at: number }[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_, msg) => {
      const body = JSON.parse(new TextDecoder().decode(msg.data)) as { batch: number; expires: number };
      requests.push({ reply: msg.reply!, ...body, at: Date.now() });
    },
  });
  const acks = `test.ack.${randomBytes(4).toString('hex')}`;
  let sequence = 0;
  return {
    acks,
    subject,
    requests,
    /** Hands a message to a request, with an ack subject the test listens on (clients may not use `$JS.ACK.`). */
    send(reply: string) {
      sequence++;
      nc.publish(reply, encoder.encode(`m${sequence}`), { reply: `${acks}.${sequence}` });
    },
    /** Ends a request the way the server does at its expiry. */
    expire(reply: string) {
      nc.publish(reply, undefined, { headers: nats.headers(408, 'Request Timeout') });
    },
    stop: () => sub.unsubscribe(),
  };
}

const text = (msg: Msg | null) => new TextDecoder().decode(msg!.data);

/** A puller on a fresh scripted consumer, closed (and the consumer stopped) after `body`. */
async function withPuller(
  expiresMs: number,
  body: (puller: Puller, consumer: ReturnType<typeof scriptedConsumer>) => Promise<void>,
): Promise<void> {
  const consumer = scriptedConsumer();
  const puller = await Puller.open(nc, consumer.subject, { batch: 8, expiresMs });
  try {
    await body(puller, consumer);
  } finally {
    await puller.close();
    consumer.stop();
  }
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('JetStream puller', { timeout: 20_000 }, () => {
  test('one request brings a batch; a request that ends without a word is replaced after its expiry', () =>
    withPuller(200, async (puller, consumer) => {
      const first = puller.next();
      await until(() => consumer.requests.length === 1, 2_000, 'the first pull request');
      assert.equal(consumer.requests[0]!.batch, 8);
      assert.equal(consumer.requests[0]!.expires, 200 * 1_000_000);
      consumer.send(consumer.requests[0]!.reply);
      assert.equal(text(await first), 'm1');
      const second = puller.next();
      consumer.send(consumer.requests[0]!.reply);
      assert.equal(text(await second), 'm2');
      assert.equal(consumer.requests.length, 1, 'the open request brought the second message');

      // The server ends the request at its expiry without a status (2.9 does, when part of the batch
      // came): the puller asks again by itself rather than waiting for an answer that never comes.
      const third = puller.next();
      await until(() => consumer.requests.length === 2, 2_000, 'a second pull request');
      assert.ok(consumer.requests[1]!.at - consumer.requests[0]!.at < 1_000);
      consumer.send(consumer.requests[1]!.reply);
      assert.equal(text(await third), 'm3');
    }));

  test('a status ends the request; the next call opens another', () =>
    withPuller(5_000, async (puller, consumer) => {
      const first = puller.next();
      await until(() => consumer.requests.length === 1, 2_000, 'the first pull request');
      consumer.expire(consumer.requests[0]!.reply);
      assert.equal((await first)!.headers?.code, 408);
      const second = puller.next();
      await until(() => consumer.requests.length === 2, 2_000, 'a second pull request');
      consumer.send(consumer.requests[1]!.reply);
      assert.equal(text(await second), 'm1');
      consumer.expire(consumer.requests[1]!.reply); // so that close need not wait for it
    }));

  test('stopPulling waits for the open request to end and returns what it still brought', () =>
    withPuller(5_000, async (puller, consumer) => {
      const naks: string[] = [];
      const acks = nc.subscribe(`${consumer.acks}.*`, {
        callback: (_, msg: Msg) => {
          naks.push(`${msg.subject} ${text(msg)}`);
          if (msg.reply) msg.respond();
        },
      });
      try {
        const first = puller.next();
        await until(() => consumer.requests.length === 1, 2_000, 'the first pull request');
        consumer.send(consumer.requests[0]!.reply);
        const msg = (await first)!;
        assert.equal(await puller.settle(msg.reply!, '+ACK'), true, 'the settlement is confirmed');

        let stopped = false;
        const stopping = puller.stopPulling().then((late) => ((stopped = true), late));
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(stopped, false, 'the request is still open');
        consumer.send(consumer.requests[0]!.reply); // handed out before the request ended
        consumer.expire(consumer.requests[0]!.reply);
        const late = await stopping;
        assert.deepEqual(late.map(text), ['m2']);
        assert.equal(await puller.next(), null, 'no more requests once stopped');
        assert.equal(consumer.requests.length, 1);

        await puller.giveBack(...late);
        await until(() => naks.some((n) => n.endsWith('-NAK')), 2_000, 'the late message given back');
      } finally {
        await puller.close();
        acks.unsubscribe();
      }
    }));
});
