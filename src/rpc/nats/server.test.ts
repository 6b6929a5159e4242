import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NatsConnection } from 'nats';
import { SwitchyardError } from '../../errors/index.js';
import { createHost, type Host } from '../../runtime/index.js';
import {
  echoContract,
  gather,
  natsServers,
  rawConnection,
  uniqueName,
} from '../../../test/rpc/fixtures/nats-support.js';
import { createNatsServer, natsTransport, operationSubject, type NatsServer } from './index.js';

describe('RPC over NATS: server', () => {
  const prefix = uniqueName('sy-test');
  const name = uniqueName('echo');
  const V1 = echoContract(name, '1.4.0');
  const V2 = echoContract(name, '2.0.1');
  let raw: NatsConnection;
  let server: NatsServer;
  let client: Host;

  before(async () => {
    const host = createHost({ name: 'echo-host' });
    host.implement(V1, {
      whoami: ({ n }) => {
        if (n === -2) throw new SwitchyardError('NOT_FOUND', 'nothing at -2');
        return { n, instance: 'a', version: 'v1' };
      },
    });
    host.implement(V2, { whoami: ({ n }) => ({ n, instance: 'a', version: 'v2' }) });
    server = createNatsServer({ host, servers: natsServers, subjectPrefix: prefix });
    await server.listen();
    const transport = natsTransport({ servers: natsServers, subjectPrefix: prefix });
    client = createHost({ transports: () => transport });
    raw = await rawConnection();
  });

  after(async () => {
    await client.close();
    await server.close();
    await raw.close();
  });

  it('routes v1 and v2 of a contract side by side to their own handlers and queue groups', async () => {
    assert.equal((await client.client(V1).whoami({ n: 1 })).version, 'v1');
    assert.equal((await client.client(V2).whoami({ n: 2 })).version, 'v2');
    const infos = await gather(raw, `$SRV.INFO.${name}`);
    const info1 = infos.find((i) => i.version === '1.4.0');
    const info2 = infos.find((i) => i.version === '2.0.1');
    assert.equal(info1?.endpoints[0].queue_group, `${name}.v1`);
    assert.equal(info2?.endpoints[0].queue_group, `${name}.v2`);
  });

  it('answers NATS tooling: $SRV.PING, $SRV.PING.<name>, $SRV.INFO.<name>, $SRV.STATS.<name>', async () => {
    const all = (await gather(raw, '$SRV.PING')).filter((p) => p.name === name);
    assert.equal(all.length, 2, 'v1 and v2 each answer the ping of all services');
    const pings = await gather(raw, `$SRV.PING.${name}`);
    assert.equal(pings.length, 2);
    for (const ping of pings) {
      assert.equal(ping.type, 'io.nats.micro.v1.ping_response');
      assert.equal(ping.name, name);
      assert.match(ping.id, /^\w+$/);
      assert.equal(ping.metadata.major, ping.version === '1.4.0' ? '1' : '2');
    }
    const infos = await gather(raw, `$SRV.INFO.${name}`);
    const v1 = infos.find((i) => i.version === '1.4.0')!;
    assert.equal(v1.type, 'io.nats.micro.v1.info_response');
    assert.equal(v1.description, 'Says which instance answered');
    assert.deepEqual(v1.endpoints, [
      { name: 'whoami', subject: operationSubject(prefix, V1, 'whoami'), queue_group: `${name}.v1` },
    ]);
    // One instance by its id, as `nats micro info <name> <id>` asks.
    const one = await gather(raw, `$SRV.INFO.${name}.${v1.id}`);
    assert.equal(one.length, 1);

    await assert.rejects(client.client(V1).whoami({ n: -2 }), { code: 'NOT_FOUND' });
    const stats = (await gather(raw, `$SRV.STATS.${name}`)).find((s) => s.version === '1.4.0')!;
    assert.equal(stats.type, 'io.nats.micro.v1.stats_response');
    const endpoint = stats.endpoints[0];
    assert.ok(endpoint.num_requests >= 2, JSON.stringify(endpoint));
    assert.ok(endpoint.data.errors >= 1, 'errors answered asynchronously are counted');
    assert.match(endpoint.data.lastError, /^NOT_FOUND/);
  });

  it('serves plain JSON requests without headers, as `nats req` sends them', async () => {
    const subject = operationSubject(prefix, V2, 'whoami');
    const msg = await raw.request(subject, JSON.stringify({ n: 7 }), { timeout: 2000 });
    assert.equal(msg.headers, undefined, 'a successful JSON reply carries no headers');
    assert.deepEqual(msg.json(), { n: 7, instance: 'a', version: 'v2' });
    const empty = await raw.request(subject, new Uint8Array(0), { timeout: 2000 });
    assert.equal(empty.headers?.get('Nats-Service-Error-Code'), '400', 'an empty body is an empty input');
  });

  it('closes gracefully: stops taking requests, finishes the ones in flight', async () => {
    const host = createHost();
    const local = echoContract(uniqueName('grace'));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    host.implement(local, {
      whoami: async ({ n }) => {
        started();
        await sleep(200);
        return { n, instance: 'g', version: 'v1' };
      },
    });
    const graceful = createNatsServer({ host, servers: natsServers, subjectPrefix: prefix });
    await graceful.listen();
    const echo = client.client(local);
    const inFlight = echo.whoami({ n: 1 }, { timeoutMs: 5000 });
    await running;
    await graceful.close();
    assert.deepEqual(await inFlight, { n: 1, instance: 'g', version: 'v1' });
    const error = await echo.whoami({ n: 2 }, { timeoutMs: 2000 }).catch((e: unknown) => e);
    assert.ok(SwitchyardError.is(error, 'UNAVAILABLE'), String(error));
    assert.equal(error.details.notSent, true);
    assert.equal((await gather(raw, `$SRV.PING.${local.name}`, 200)).length, 0, 'gone from the tooling');
  });
});
