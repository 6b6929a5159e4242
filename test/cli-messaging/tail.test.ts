// `switchyard tail` following channels on each engine while the typed bus publishes to them.
import assert from 'node:assert/strict';
import { SwitchyardError } from '../../src/errors/index.js';
import { after, describe, it } from 'node:test';
import { createMessaging } from '../../src/messaging/bus/index.js';
import { cli, engines, kitchenContract, start, workspace, type Engine } from './support.js';

const space = workspace('cli-tail');
after(() => space.cleanup());

/** A channel of this run on `engine` with ticket 0 already in it, and a way to publish more. */
async function channelWithHistory(engine: Engine) {
  const { Kitchen } = kitchenContract(space.dir);
  const broker = engine.connect();
  const sender = createMessaging({ broker, service: 'orders' });
  const publish = (seq: number) => sender.publish(Kitchen, 'ticketCreated', { orderId: 'o1', seq });
  await publish(0);
  return {
    channel: `${Kitchen.name}.events`,
    type: `${Kitchen.name}.ticketCreated`,
    broker,
    publish,
    async close() {
      await sender.close();
      await broker.deleteChannel(`${Kitchen.name}.events`).catch(() => undefined);
      await broker.close();
    },
  };
}

const seqs = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { body: { seq: number } }).body.seq);

describe('switchyard tail', { concurrency: true }, () => {
  for (const engine of engines(space.dir))
    it(`prints what is published from now on, as a throwaway group: ${engine.name}`, async () => {
      const c = await channelWithHistory(engine);
      try {
        const tail = start(['tail', c.channel, '--count', '2', '--json', ...engine.args]);
        await tail.waitFor(/following .* as throwaway group switchyard-tail-/);
        await c.publish(1);
        await c.publish(2);
        const run = await tail.done;
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(seqs(run.stdout), [1, 2], 'ticket 0 was published before tail started');
        const group = /throwaway group (switchyard-tail-\w+)/.exec(run.stderr)![1]!;
        await assert.rejects(c.broker.peek(c.channel, group), (error: unknown) =>
          SwitchyardError.is(error, 'NOT_FOUND'),
        );
        const first = JSON.parse(run.stdout.split('\n')[0]!) as Record<string, unknown>;
        assert.equal(first.type, c.type);
        assert.equal(first.key, 'o1');
        assert.equal(first.channel, c.channel);
      } finally {
        await c.close();
      }
    });

  for (const engine of engines(space.dir).filter((e) => e.name === 'embedded' || e.name === 'redis'))
    it(`shows history with --from-start, one line a message: ${engine.name}`, async () => {
      const c = await channelWithHistory(engine);
      try {
        await c.publish(1);
        const run = await cli(['tail', c.channel, '--from-start', '--count', '2', ...engine.args]);
        assert.equal(run.code, 0, run.stderr);
        const lines = run.stdout.trim().split('\n');
        assert.equal(lines.length, 2);
        for (const [seq, line] of lines.entries())
          assert.match(
            line,
            new RegExp(
              `^\\d{4}-\\d\\d-\\d\\dT\\S+Z  p\\d  ${c.type}  \\S+ key=o1  \\{"orderId":"o1","seq":${seq}\\}$`,
            ),
          );
      } finally {
        await c.close();
      }
    });

  it('consumes as a named group, acknowledging what it prints; stops on Ctrl-C', async () => {
    const [embedded] = engines(space.dir);
    const c = await channelWithHistory(embedded!);
    try {
      await c.broker.ensureChannel({ name: c.channel, partitions: 8, groups: ['ops'] });
      await c.publish(1);
      const run = await cli(['tail', c.channel, '--group', 'ops', '--count', '1', ...embedded!.args]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /"seq":0\}$/m);
      const left = await c.broker.peek(c.channel, 'ops');
      assert.deepEqual(
        left.map((m) => (JSON.parse(Buffer.from(m.body).toString()) as { seq: number }).seq),
        [1],
        'the printed message is acknowledged for the group',
      );

      const following = start(['tail', c.channel, ...embedded!.args]);
      await following.waitFor(/following/);
      following.kill('SIGINT');
      assert.equal((await following.done).code, 0);

      const missing = await cli(['tail', 'no-such-channel', ...embedded!.args]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /NOT_FOUND: Channel no-such-channel does not exist/);
    } finally {
      await c.close();
    }
  });
});
