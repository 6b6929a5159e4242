import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, mock, test } from 'node:test';
import { Registry } from 'prom-client';
import { SwitchyardError } from '../../errors/index.js';
import { embeddedBroker } from '../embedded/index.js';
import { testContract } from './conformance.js';
import { consumerLagMetric, observeConsumerLag } from './lag-metrics.js';
import { createMessaging } from './messaging.js';

type Subscriptions = { channels: string[]; group: string }[];

/** A broker whose `lag` answers from `lags` (a missing entry fails) and counts the questions. */
function fakeBroker(lags: Record<string, number | 'hang'>) {
  const asked: string[] = [];
  return {
    asked,
    lag(channel: string, group: string): Promise<number> {
      asked.push(`${channel}/${group}`);
      const value = lags[`${channel}/${group}`];
      if (value === 'hang') return new Promise(() => {});
      if (value === undefined) return Promise.reject(new SwitchyardError('UNAVAILABLE', 'broker away'));
      return Promise.resolve(value);
    },
  };
}

const series = async (registry: Registry) =>
  (await registry.getSingleMetricAsString(consumerLagMetric))
    .split('\n')
    .filter((line) => !line.startsWith('#') && line !== '')
    .sort();

test('one series per consumed channel and group; failed and slow answers are left out', async () => {
  const registry = new Registry();
  const subscriptions: Subscriptions = [
    { channels: ['a.events', 'b.events'], group: 'kitchen' },
    { channels: ['a.events'], group: 'kitchen' }, // the same pair twice: asked once
    { channels: ['c.commands'], group: 'billing' },
    { channels: ['d.events'], group: 'kitchen' },
  ];
  const broker = fakeBroker({ 'a.events/kitchen': 3, 'b.events/kitchen': 0, 'd.events/kitchen': 'hang' });
  observeConsumerLag({ subscriptions: () => subscriptions }, broker, registry, { timeoutMs: 50 });
  assert.deepEqual(await series(registry), [
    'switchyard_messaging_consumer_lag_messages{channel="a.events",group="kitchen"} 3',
    'switchyard_messaging_consumer_lag_messages{channel="b.events",group="kitchen"} 0',
  ]);
  assert.deepEqual(broker.asked.sort(), [
    'a.events/kitchen',
    'b.events/kitchen',
    'c.commands/billing',
    'd.events/kitchen',
  ]);
});

test('answers are cached for a second; closed subscriptions drop out', async () => {
  mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  try {
    const registry = new Registry();
    let subscriptions: Subscriptions = [{ channels: ['a.events', 'b.events'], group: 'g' }];
    const lags = { 'a.events/g': 5, 'b.events/g': 7 };
    const broker = fakeBroker(lags);
    observeConsumerLag({ subscriptions: () => subscriptions }, broker, registry);
    await series(registry);
    lags['a.events/g'] = 4;
    assert.match((await series(registry))[0]!, /channel="a.events",group="g"} 5$/);
    assert.equal(broker.asked.length, 2, 'two scrapes within the cache time ask once per pair');
    mock.timers.tick(1_000);
    assert.match((await series(registry))[0]!, /channel="a.events",group="g"} 4$/);
    assert.equal(broker.asked.length, 4);
    subscriptions = [{ channels: ['b.events'], group: 'g' }];
    assert.deepEqual(await series(registry), [
      'switchyard_messaging_consumer_lag_messages{channel="b.events",group="g"} 7',
    ]);
  } finally {
    mock.timers.reset();
  }
});

test('a broker without lag registers nothing', () => {
  const registry = new Registry();
  observeConsumerLag({ subscriptions: () => [] }, {}, registry);
  assert.equal(registry.getSingleMetric(consumerLagMetric), undefined);
});

test('the bus lists the subscriptions it consumes, and the embedded broker measures them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-lag-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const broker = embeddedBroker({ file: join(dir, 'broker.db') });
  const contract = testContract();
  const messaging = createMessaging({ broker, service: contract.name });
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  try {
    const registry = new Registry();
    observeConsumerLag(messaging, broker, registry);
    assert.deepEqual(messaging.subscriptions(), []);
    // Handled only without a broker: nothing consumed, nothing to measure.
    await messaging.handle(contract, { createTicket: () => {} }, { consume: false });
    assert.deepEqual(messaging.subscriptions(), []);
    for (let seq = 0; seq < 3; seq++)
      await messaging.publish(contract, 'ticketCreated', { orderId: 'o1', seq });
    await messaging.subscribe(contract, { ticketCreated: () => held }, { group: 'audit' });
    assert.deepEqual(messaging.subscriptions(), [{ channels: [`${contract.name}.events`], group: 'audit' }]);
    // One key, one partition: the first message is held by its handler, so all three still count.
    assert.deepEqual(await series(registry), [
      `switchyard_messaging_consumer_lag_messages{channel="${contract.name}.events",group="audit"} 3`,
    ]);
  } finally {
    release();
    await messaging.close();
    await broker.close();
  }
});
