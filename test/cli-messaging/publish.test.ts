// `switchyard publish`, raw and through a contract, checked by reading the channel on each engine.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connectBroker } from '../../src/messaging/connect.js';
import { partitionFor } from '../../src/messaging/index.js';
import { cli, engines, kitchenContract, workspace } from './support.js';

const space = workspace('cli-publish');
after(() => space.cleanup());

const decode = (body: Uint8Array) => JSON.parse(Buffer.from(body).toString('utf8')) as unknown;
const published = /^published (\S+) to (\S+) \(partition (\d+)\)$/m;

describe('switchyard publish', { concurrency: true }, () => {
  for (const engine of engines(space.dir))
    it(`publishes a raw JSON message in a CloudEvents envelope: ${engine.name}`, async () => {
      const channel = `cli-pub-${randomBytes(4).toString('hex')}`;
      const broker = engine.connect();
      try {
        // A group declared first, so every engine keeps the message for it to be read back.
        await broker.ensureChannel({ name: channel, partitions: 8, groups: ['probe'] });
        const run = await cli([
          'publish',
          channel,
          '{"orderId":"o-7","n":1}',
          '--key',
          'o-7',
          '--type',
          'shop.orderPlaced',
          '--header',
          'x-tenant=acme',
          ...engine.args,
        ]);
        assert.equal(run.code, 0, run.stderr);
        const [, id, to, partition] = published.exec(run.stdout) ?? [];
        assert.equal(to, channel);
        assert.equal(Number(partition), partitionFor('o-7', 8));
        const [message, ...more] = await broker.peek(channel, 'probe');
        assert.equal(more.length, 0);
        assert.equal(message!.id, id);
        assert.equal(message!.partition, Number(partition));
        assert.equal(message!.headers['ce-type'], 'shop.orderPlaced');
        assert.equal(message!.headers['ce-id'], id);
        assert.equal(message!.headers['ce-partitionkey'], 'o-7');
        assert.equal(message!.headers['content-type'], 'application/json');
        assert.equal(message!.headers['x-tenant'], 'acme');
        assert.deepEqual(decode(message!.body), { orderId: 'o-7', n: 1 });
      } finally {
        await broker.deleteChannel(channel).catch(() => undefined);
        await broker.close();
      }
    });

  for (const engine of engines(space.dir).filter((e) => e.name === 'embedded' || e.name === 'jetstream'))
    it(`publishes through a contract, refusing a payload that breaks its schema: ${engine.name}`, async () => {
      const { file, Kitchen } = kitchenContract(space.dir);
      const channel = `${Kitchen.name}.events`;
      const broker = engine.connect();
      try {
        await broker.ensureChannel({ name: channel, partitions: 8, groups: ['probe'] });
        const contract = ['--contract', file, '--event', 'ticketCreated', ...engine.args];
        const bad = await cli(['publish', '{"orderId":"o1","seq":-1}', ...contract]);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /INVALID_ARGUMENT: kitchen-[0-9a-f]+\.ticketCreated: invalid payload/);
        assert.match(bad.stderr, /^ {2}\/seq: /m);

        const good = await cli(['publish', channel, '{"orderId":"o1","seq":3}', ...contract]);
        assert.equal(good.code, 0, good.stderr);
        const [, id, to, partition] = published.exec(good.stdout) ?? [];
        assert.equal(to, channel);
        assert.equal(Number(partition), partitionFor('o1', 8), 'keyed by the partition key field');
        const messages = await broker.peek(channel, 'probe');
        assert.deepEqual(
          messages.map((m) => [m.id, m.headers['ce-type'], decode(m.body)]),
          [[id, `${Kitchen.name}.ticketCreated`, { orderId: 'o1', seq: 3 }]],
          'only the valid message was sent',
        );
      } finally {
        await broker.deleteChannel(channel).catch(() => undefined);
        await broker.close();
      }
    });

  it('takes the broker from SWITCHYARD_BROKER, and refuses a body that is not JSON or an unknown broker', async () => {
    const file = join(space.dir, 'from-env.db');
    const run = await cli(['publish', 'cli-env', '{"a":1}'], { SWITCHYARD_BROKER: `embedded:${file}` });
    assert.equal(run.code, 0, run.stderr);
    const broker = connectBroker(file);
    try {
      // On the embedded broker a new group sees everything the channel keeps.
      await broker.ensureChannel({ name: 'cli-env', partitions: 8, groups: ['probe'] });
      assert.deepEqual(
        (await broker.peek('cli-env', 'probe')).map((m) => decode(m.body)),
        [{ a: 1 }],
      );
    } finally {
      await broker.close();
    }

    const notJson = await cli(['publish', 'cli-env', "{'a':1}", '--broker', file]);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /^switchyard publish: the body is not JSON: /m);

    const unknown = await cli(['publish', 'cli-env', '{}', '--broker', 'kafka://127.0.0.1:9092']);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /INVALID_ARGUMENT: Unsupported broker URL kafka:.*amqp:\/\/.*nats:\/\/.*redis:\/\//,
    );
  });
});
