import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerUrlOf, databaseOf, readManifest, registryArgsOf, type Manifest } from './manifest.js';

const manifest: Manifest = {
  name: 'shop',
  file: '/srv/shop/switchyard.yaml',
  dir: '/srv/shop',
  services: {
    orders: { entry: 'orders.ts' },
    kitchen: { entry: 'kitchen.ts', database: 'sqlite:data/k.db' },
  },
};

describe('where a manifest puts its engines', () => {
  it('gives each service a SQLite file of its own beside the manifest, unless told otherwise', () => {
    assert.deepEqual(databaseOf(manifest, 'orders', {}), {
      url: 'sqlite:/srv/shop/.switchyard/orders.db',
      schema: 'orders',
    });
    assert.deepEqual(databaseOf(manifest, 'kitchen', {}), {
      url: 'sqlite:/srv/shop/data/k.db',
      schema: 'kitchen',
    });
  });

  it('moves every service to PostgreSQL, each in a schema of its own, with SWITCHYARD_DATABASE', () => {
    const env = { SWITCHYARD_DATABASE: 'postgres://db/shop', SWITCHYARD_DATABASE_PREFIX: 'run1_' };
    assert.deepEqual(databaseOf(manifest, 'orders', env), {
      url: 'postgres://db/shop',
      schema: 'run1_orders',
    });
  });

  it('runs the hub on SQLite by default, on etcd when the environment or the manifest says so', () => {
    assert.deepEqual(registryArgsOf(manifest, {}), []);
    assert.deepEqual(
      registryArgsOf(manifest, {
        SWITCHYARD_REGISTRY: 'etcd://a:2379,b:2379',
        SWITCHYARD_REGISTRY_PREFIX: 'p/',
      }),
      ['--backend', 'etcd', '--etcd', 'http://a:2379,http://b:2379', '--etcd-prefix', 'p/'],
    );
    assert.throws(() => registryArgsOf(manifest, { SWITCHYARD_REGISTRY: 'consul://x' }), /sqlite or etcd/);
  });

  it('uses the embedded broker beside the manifest unless SWITCHYARD_BROKER names another', () => {
    assert.equal(brokerUrlOf(manifest, {}), 'embedded:/srv/shop/.switchyard/broker.db');
    assert.equal(brokerUrlOf(manifest, { SWITCHYARD_BROKER: 'nats://n:4222' }), 'nats://n:4222');
  });

  it("gives the manifest's durability to the SQLite files it names, not to other engines", () => {
    const interval: Manifest = { ...manifest, durability: 'interval' };
    assert.equal(brokerUrlOf(interval, {}), 'embedded:/srv/shop/.switchyard/broker.db?durability=interval');
    assert.equal(brokerUrlOf(interval, { SWITCHYARD_BROKER: 'nats://n:4222' }), 'nats://n:4222');
    assert.equal(
      databaseOf(interval, 'orders', {}).url,
      'sqlite:/srv/shop/.switchyard/orders.db?durability=interval',
    );
    assert.equal(databaseOf(interval, 'kitchen', {}).url, 'sqlite:/srv/shop/data/k.db?durability=interval');
    assert.equal(
      databaseOf(interval, 'orders', { SWITCHYARD_DATABASE: 'postgres://db/x' }).url,
      'postgres://db/x',
    );
    // A URL that states its own durability keeps it.
    const own: Manifest = { ...interval, broker: 'embedded:b.db?durability=commit' };
    assert.equal(brokerUrlOf(own, {}), 'embedded:/srv/shop/b.db?durability=commit');
  });

  it('names the line of a key, for problems found after reading (a port in use)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-manifest-'));
    try {
      const file = join(dir, 'm.yaml');
      writeFileSync(file, 'name: m\nservices: {}\nhub:\n  dnsPort: 8601\n  port: 7071\n');
      const read = readManifest(file);
      assert.equal(read.at?.(['hub', 'port']), `${file}:5`);
      assert.equal(read.at?.(['gateway', 'port']), file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
