import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChannelSpec } from '../adapter.js';
import { eventually, Member, unique, workload } from '../conformance/support.js';
import { loadAmqp } from './link.js';
import { namesFor, rabbitMqBroker, type RabbitMqBroker, type RabbitMqBrokerOptions } from './index.js';

// What `peek` costs on RabbitMQ, as docs/messaging-rabbitmq.md states it. Shared node, own prefix per test.
const url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

async function withChannel(
  options: RabbitMqBrokerOptions,
  body: (adapter: RabbitMqBroker, spec: ChannelSpec, prefix: string) => Promise<void>,
): Promise<void> {
  const prefix = unique('sypeek');
  const adapter = rabbitMqBroker({ url, prefix, probeIntervalMs: 500, ...options });
  const spec: ChannelSpec = { name: unique('ch'), partitions: 1, groups: ['g'] };
  try {
    await adapter.ensureChannel(spec);
    await body(adapter, spec, prefix);
  } finally {
    await adapter.deleteChannel(spec.name).catch(() => {});
    await adapter.close();
  }
}

describe('RabbitMQ peek costs', { timeout: 30_000 }, () => {
  test('peek reads the whole partition whatever the limit: each message counts one delivery', async () => {
    await withChannel({}, async (adapter, spec) => {
      const messages = workload(spec, 1, 5);
      await adapter.publish(messages);
      const shown = await adapter.peek(spec.name, 'g', { limit: 2 });
      assert.deepEqual(
        shown.map((m) => m.id),
        ['k0:0', 'k0:1'],
      );
      const member = new Member(adapter, spec, 'g');
      try {
        await eventually(
          () => member.received.length >= 5,
          10_000,
          () => `${member.received.length} of 5`,
        );
        assert.deepEqual(
          member.ids(),
          messages.map((m) => m.id),
        );
        assert.deepEqual(
          member.received.map((r) => r.deliveryCount),
          [2, 2, 2, 2, 2],
        );
      } finally {
        await member.close();
      }
    });
  });

  test('peeks count against x-delivery-limit: past it RabbitMQ dead-letters the message', async () => {
    await withChannel({ deliveryLimit: 2 }, async (adapter, spec, prefix) => {
      await adapter.publish(workload(spec, 1, 1));
      for (let peeks = 0; peeks < 3; peeks++)
        assert.equal((await adapter.peek(spec.name, 'g')).length, 1, `peek ${peeks + 1}`);
      // The third return took the message past the limit of 2.
      const amqp = await loadAmqp();
      const connection = await amqp.connect(url);
      try {
        const ch = await connection.createChannel();
        const dead = namesFor(prefix, spec.name).dead;
        let count = 0;
        for (const deadline = Date.now() + 5_000; count === 0 && Date.now() < deadline; await sleep(20))
          count = (await ch.checkQueue(dead)).messageCount;
        assert.equal(count, 1);
        await ch.close();
      } finally {
        await connection.close();
      }
      assert.deepEqual(await adapter.peek(spec.name, 'g'), []);
    });
  });

  test('a nak after a peek puts the message behind the other peeked ones', async () => {
    await withChannel({}, async (adapter, spec) => {
      await adapter.publish(workload(spec, 1, 3));
      assert.equal((await adapter.peek(spec.name, 'g')).length, 3);
      let naked = false;
      const member = new Member(adapter, spec, 'g', unique('m'), async (d) => {
        if (naked) return d.ack();
        naked = true;
        await d.nak();
      });
      try {
        await eventually(
          () => member.received.length >= 4,
          10_000,
          () => `${member.received.length} of 4`,
        );
        // RabbitMQ 3.x appends a returned message to the list of returned ones, which the peek filled.
        assert.deepEqual(member.ids(), ['k0:0', 'k0:1', 'k0:2', 'k0:0']);
      } finally {
        await member.close();
      }
    });
  });
});
