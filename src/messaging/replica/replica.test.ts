import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { contract, event, Type } from '../../contract/index.js';
import { createMessaging } from '../bus/index.js';
import { eventually } from '../conformance/support.js';
import { embeddedBroker } from '../embedded/index.js';
import { createReplica, sqliteReplicaStore } from './index.js';

const Restaurants = contract({
  name: `restaurants-${randomBytes(4).toString('hex')}`,
  version: '1.0.0',
  events: {
    menuRevised: event({
      payload: Type.Object({ restaurantId: Type.String(), items: Type.Array(Type.String()) }),
      partitionKey: 'restaurantId',
    }),
    restaurantClosed: event({
      payload: Type.Object({ restaurantId: Type.String() }),
      partitionKey: 'restaurantId',
    }),
  },
});

type Menu = { items: string[]; revisions: number };
const apply = {
  menuRevised: (current: Menu | undefined, p: { items: string[] }) => ({
    items: p.items,
    revisions: (current?.revisions ?? 0) + 1,
  }),
  restaurantClosed: () => undefined,
};

describe('replicated data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-replica-'));
  const broker = embeddedBroker({ file: join(dir, 'broker.db') });
  const owner = createMessaging({ broker, service: 'restaurants' });
  after(async () => {
    await owner.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a local copy from the owner’s events, including what was published before it started', async () => {
    await owner.publish(Restaurants, 'menuRevised', { restaurantId: 'r1', items: ['soup'] });
    const kitchen = createMessaging({ broker, service: 'kitchen' });
    const menus = await createReplica<typeof Restaurants, Menu>({
      bus: kitchen,
      contract: Restaurants,
      apply,
    });
    await owner.publish(Restaurants, 'menuRevised', { restaurantId: 'r1', items: ['soup', 'pie'] });
    await owner.publish(Restaurants, 'menuRevised', { restaurantId: 'r2', items: ['tea'] });
    await eventually(
      () => menus.get('r1')?.revisions === 2 && menus.size === 2,
      10_000,
      () => 'replica behind',
    );
    assert.deepEqual(menus.get('r1'), { items: ['soup', 'pie'], revisions: 2 });
    const changes: string[] = [];
    menus.onChange((key, value) => changes.push(`${key}:${value === undefined ? 'gone' : 'set'}`));
    await owner.publish(Restaurants, 'restaurantClosed', { restaurantId: 'r2' });
    await eventually(
      () => menus.get('r2') === undefined,
      10_000,
      () => 'r2 still there',
    );
    assert.deepEqual(changes, ['r2:gone']);
    await menus.close();
    await kitchen.close();
  });

  it('resumes a persistent replica where it stopped, without applying a message twice', async () => {
    const file = join(dir, 'menus.db');
    const group = `kitchen-1-${randomBytes(3).toString('hex')}`;
    const open = async () => {
      const bus = createMessaging({ broker, service: 'kitchen' });
      const replica = await createReplica<typeof Restaurants, Menu>({
        bus,
        contract: Restaurants,
        apply,
        store: sqliteReplicaStore(file),
        group,
      });
      return { bus, replica };
    };
    let { bus, replica } = await open();
    // Caught up with the first test's two revisions of r1.
    await eventually(
      () => replica.get('r1')?.items.length === 2,
      10_000,
      () => 'r1 behind',
    );
    const revisions = replica.get('r1')!.revisions;
    await replica.close();
    await bus.close();
    await owner.publish(Restaurants, 'menuRevised', { restaurantId: 'r1', items: ['stew'] });
    ({ bus, replica } = await open());
    assert.equal(replica.get('r1')!.revisions, revisions, 'read back from the file');
    await eventually(
      () => replica.get('r1')!.items[0] === 'stew',
      10_000,
      () => 'missed the revision',
    );
    assert.equal(replica.get('r1')!.revisions, revisions + 1);
    await replica.close();
    await bus.close();
  });
});
