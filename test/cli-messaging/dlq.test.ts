// `switchyard dlq list | show | replay | purge` against real dead letters, made by the typed bus on
// each engine: a handler refusing with FAILED_PRECONDITION dead-letters at once.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SwitchyardError } from '../../src/errors/index.js';
import { createMessaging, type Messaging } from '../../src/messaging/bus/index.js';
import { cli, engines, eventually, kitchenContract, workspace, type Engine } from './support.js';

const space = workspace('cli-dlq');
after(() => space.cleanup());

/**
 * Services on `engine`: group `kitchen` refuses every ticket while `broken`, group `audit` takes them
 * all. `count` tickets are published and waited for until each is dead-lettered (by kitchen) and
 * audited.
 */
async function deadLetters(engine: Engine, count: number) {
  const { Kitchen } = kitchenContract(space.dir);
  const channel = `${Kitchen.name}.events`;
  const broker = engine.connect();
  const buses: Messaging[] = [];
  const state = { broken: true, kitchen: [] as number[], audit: [] as number[], skipped: [] as string[] };
  let dead = 0;
  const kitchen = createMessaging({
    broker,
    service: 'kitchen',
    onEvent: (e) => void (e.type === 'dead-lettered' && dead++),
  });
  const audit = createMessaging({
    broker,
    service: 'audit',
    onEvent: (e) => void (e.type === 'skipped' && state.skipped.push(e.reason)),
  });
  const sender = createMessaging({ broker, service: 'orders' });
  buses.push(kitchen, audit, sender);
  await kitchen.subscribe(Kitchen, {
    ticketCreated: (p) => {
      if (state.broken) throw new SwitchyardError('FAILED_PRECONDITION', `kitchen closed for ${p.seq}`);
      state.kitchen.push(p.seq);
    },
  });
  await audit.subscribe(Kitchen, { ticketCreated: (p) => void state.audit.push(p.seq) });
  for (let seq = 0; seq < count; seq++)
    await sender.publish(Kitchen, 'ticketCreated', { orderId: 'o1', seq });
  await eventually(
    () => dead === count && state.audit.length === count,
    () => JSON.stringify({ dead, state }),
  );
  return {
    channel,
    broker,
    state,
    /** Ids of the dead letters as `dlq list` shows them, read in-process. */
    async ids(): Promise<string[]> {
      const letters = await broker.peek(`${channel}.dlq`, 'dlq');
      return letters.map((m) => m.headers['x-dlq-id'] ?? m.id);
    },
    async close() {
      await Promise.all(buses.map((m) => m.close()));
      for (const name of [channel, `${channel}.dlq`]) await broker.deleteChannel(name).catch(() => undefined);
      await broker.close();
    },
  };
}

/** The ids in the first column of `dlq list`, in order (header and summary lines left out). */
const listedIds = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .slice(1, -1)
    .map((line) => line.split(/\s+/)[0]!);

// Engines run side by side: most of the time goes to starting CLI processes and waiting on brokers.
describe('switchyard dlq', { concurrency: true }, () => {
  for (const engine of engines(space.dir))
    it(`lists dead letters and replays one by id to the failed group only, then the rest: ${engine.name}`, async () => {
      const run = await deadLetters(engine, 3);
      const { channel, state } = run;
      try {
        const listed = await cli(['dlq', 'list', channel, ...engine.args]);
        assert.equal(listed.code, 0, listed.stderr);
        const lines = listed.stdout.trim().split('\n');
        assert.match(lines[0]!, /^ID\s+TIME\s+REASON\s+ATTEMPTS\s+GROUP\s+ERROR$/);
        assert.equal(lines.at(-1), `3 dead letters in ${channel}.dlq`);
        for (const [seq, line] of lines.slice(1, -1).entries())
          assert.match(
            line,
            new RegExp(`\\s+rejected\\s+1\\s+kitchen\\s+FAILED_PRECONDITION: kitchen closed for ${seq}$`),
          );
        const ids = listedIds(listed.stdout);

        if (engine.name === 'embedded' || engine.name === 'rabbitmq') {
          const shown = await cli(['dlq', 'show', `${channel}.dlq`, ids[1]!, ...engine.args]);
          assert.equal(shown.code, 0, shown.stderr);
          assert.match(shown.stdout, /^failed in\s+group kitchen of .*\.events \(partition \d+\)$/m);
          assert.match(shown.stdout, /^error\s+FAILED_PRECONDITION: kitchen closed for 1$/m);
          assert.match(shown.stdout, /^ {2}ce-type: kitchen-[0-9a-f]+\.ticketCreated$/m);
          assert.match(shown.stdout, /^ {4}"seq": 1$/m);
        }

        state.broken = false;
        const one = await cli(['dlq', 'replay', channel, '--id', ids[1]!, ...engine.args]);
        assert.equal(one.code, 0, one.stderr);
        assert.match(one.stdout, new RegExp(`^moved ${ids[0]} to the end`, 'm'));
        assert.match(one.stdout, new RegExp(`^replayed ${ids[1]} to ${channel} `, 'm'));
        await eventually(
          () => state.kitchen.length === 1 && state.skipped.length === 1,
          () => JSON.stringify(state),
        );
        assert.deepEqual(state.kitchen, [1]);
        assert.deepEqual(state.skipped, ['replayed for group kitchen'], 'the audit group skips the replay');
        assert.deepEqual(await run.ids(), [ids[2], ids[0]], 'same ids; the one moved is last');

        const rest = await cli(['dlq', 'replay', channel, '--all', ...engine.args]);
        assert.equal(rest.code, 0, rest.stderr);
        assert.match(rest.stdout, /ok: replayed 2 from /);
        await eventually(
          () => state.kitchen.length === 3,
          () => JSON.stringify(state),
        );
        assert.deepEqual(state.kitchen, [1, 2, 0]);
        assert.deepEqual(state.audit, [0, 1, 2], 'the audit group handled each message once');
        assert.deepEqual(await run.ids(), []);
      } finally {
        await run.close();
      }
    });

  for (const engine of engines(space.dir).filter((e) => e.name === 'embedded' || e.name === 'redis'))
    it(`purges dead letters only with --yes, keeping the channel: ${engine.name}`, async () => {
      const run = await deadLetters(engine, 2);
      try {
        const refused = await cli(['dlq', 'purge', run.channel, ...engine.args]);
        assert.equal(refused.code, 2);
        assert.match(refused.stderr, /add --yes/);
        const purged = await cli(['dlq', 'purge', `${run.channel}.dlq`, '--yes', ...engine.args]);
        assert.equal(purged.code, 0, purged.stderr);
        assert.match(purged.stdout, new RegExp(`^purged 2 dead letters of ${run.channel}\\.dlq$`, 'm'));
        assert.deepEqual(await run.ids(), [], 'the channel and its dlq group exist, empty');
      } finally {
        await run.close();
      }
    });

  it('fails clearly on a channel without dead letters and on a replay that selects nothing', async () => {
    const [embedded] = engines(space.dir);
    const missing = await cli(['dlq', 'list', 'no-such-channel', ...embedded!.args]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NOT_FOUND: no-such-channel\.dlq does not exist/);
    const vague = await cli(['dlq', 'replay', 'no-such-channel', ...embedded!.args]);
    assert.equal(vague.code, 2);
    assert.match(vague.stderr, /--all or --id/);
  });
});
