import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SwitchyardError } from '../errors/index.js';
import { connectBroker, defaultBrokerUrl, redactUrl } from './connect.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-connect-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const prefix = `sy_connect_${randomBytes(4).toString('hex')}`;

describe('connectBroker', () => {
  it('picks the adapter by scheme, without connecting', async () => {
    const cases = [
      ['amqp://guest:guest@127.0.0.1:5672', 'rabbitmq'],
      ['AMQPS://broker.invalid', 'rabbitmq'],
      ['nats://127.0.0.1:4222,nats://127.0.0.1:4223', 'jetstream'],
      ['redis://127.0.0.1:6379', 'redis'],
      ['rediss://127.0.0.1:6380', 'redis'],
    ] as const;
    for (const [url, name] of cases) {
      const broker = connectBroker(url, { prefix });
      assert.equal(broker.name, name, url);
      await broker.close();
    }
  });

  it('opens the embedded broker from embedded:, sqlite: and plain paths, creating the folder', async () => {
    const urls = [
      `embedded:${join(dir, 'a', 'one.db')}`,
      `embedded://${join(dir, 'two.db')}`,
      `sqlite:${join(dir, 'b', 'c', 'three.db')}`,
      join(dir, 'four.db'),
    ];
    const files = ['a/one.db', 'two.db', 'b/c/three.db', 'four.db'];
    for (const [i, url] of urls.entries()) {
      const broker = connectBroker(url);
      assert.equal(broker.name, 'embedded');
      await broker.close();
      assert.ok(existsSync(join(dir, files[i]!)), url);
    }
  });

  it('takes the durability of an embedded file from its URL', async () => {
    const file = join(dir, 'durable', 'five.db');
    const broker = connectBroker(`embedded:${file}?durability=interval`);
    await broker.ensureChannel({ name: 'durable', partitions: 1 });
    await broker.close();
    assert.ok(existsSync(file), 'the query is not part of the file name');
    assert.throws(
      () => connectBroker(`embedded:${file}?durability=never`),
      (e: unknown) => SwitchyardError.is(e, 'INVALID_ARGUMENT'),
    );
  });

  it('refuses other schemes naming the accepted ones, without echoing a password', () => {
    assert.throws(
      () => connectBroker('http://user:secret@example.invalid'),
      (e: unknown) =>
        SwitchyardError.is(e, 'INVALID_ARGUMENT') &&
        /amqp:\/\//.test(e.message) &&
        /nats:\/\//.test(e.message) &&
        /redis:\/\//.test(e.message) &&
        /embedded:/.test(e.message) &&
        !e.message.includes('secret'),
    );
    assert.throws(
      () => connectBroker(''),
      (e: unknown) => SwitchyardError.is(e, 'INVALID_ARGUMENT'),
    );
    assert.throws(
      () => connectBroker(join(dir, 'x.db'), { prefix: 'p' }),
      (e: unknown) => SwitchyardError.is(e, 'INVALID_ARGUMENT') && /prefix/.test(e.message),
    );
  });

  it('defaults to SWITCHYARD_BROKER, else the embedded file under .switchyard/', () => {
    assert.equal(defaultBrokerUrl({ SWITCHYARD_BROKER: 'nats://x:4222' }), 'nats://x:4222');
    assert.equal(defaultBrokerUrl({}), 'embedded:.switchyard/broker.db');
    assert.equal(redactUrl('amqp://guest:guest@h:5672/v'), 'amqp://guest:***@h:5672/v');
  });

  for (const [engine, url] of [
    ['embedded', join(dir, 'roundtrip.db')],
    ['rabbitmq', 'amqp://guest:guest@127.0.0.1:5672'],
    ['jetstream', 'nats://127.0.0.1:4222'],
    ['redis', 'redis://127.0.0.1:6379'],
  ] as const)
    it(`publishes and peeks through the engine it names: ${engine}`, async () => {
      const broker = connectBroker(url, url.includes('://') ? { prefix } : {});
      const name = `connect-${randomBytes(4).toString('hex')}`;
      try {
        await broker.ensureChannel({ name, partitions: 2, groups: ['g'] });
        const body = new TextEncoder().encode('{"n":1}');
        await broker.publish([{ channel: name, partition: 1, id: 'm1', headers: { a: 'b' }, body }]);
        const [peeked] = await broker.peek(name, 'g');
        assert.deepEqual([peeked?.id, peeked?.partition, peeked?.headers.a], ['m1', 1, 'b']);
      } finally {
        await broker.deleteChannel(name).catch(() => undefined);
        await broker.close();
      }
    });
});
