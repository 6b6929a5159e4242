import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as dns from 'dns-packet';
import { startHub, type Hub } from '../hub.js';

const run = promisify(execFile);
const domain = 'test.switchyard';

describe('hub DNS (answered by dig)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-dns-'));
  let hub: Hub;
  const dig = async (...args: string[]) =>
    (await run('dig', ['@127.0.0.1', '-p', String(hub.dnsPort), '+time=2', '+tries=1', ...args])).stdout;
  const short = async (...args: string[]) =>
    (await dig('+short', ...args)).trim().split('\n').filter(Boolean).sort();
  const status = async (...args: string[]) => /status: (\w+)/.exec(await dig(...args))?.[1];

  before(async () => {
    hub = await startHub({ port: 0, dnsPort: 0, dataDir: dir, domain, checks: false });
    const register = (body: object) => hub.registry.register(body);
    await register({
      id: 'o1',
      service: 'orders',
      version: '1.4.0',
      endpoints: { http: '127.0.0.1:8001', grpc: '127.0.0.1:9001' },
    });
    await register({ id: 'o2', service: 'orders', version: '2.0.0', endpoints: { http: '127.0.0.2:8002' } });
    await register({ id: 'o3', service: 'orders', version: '1.5.0', endpoints: { http: '127.0.0.3:8003' } });
    await register({ id: 'k1', service: 'kitchen', version: '1.0.0', endpoints: { grpc: '[::1]:9100' } });
    await register({ id: 'dead', service: 'billing', version: '1.0.0', endpoints: { http: '127.0.0.9:80' } });
    await hub.registry.backend.setHealth('o3', 'warning');
    await hub.registry.backend.setHealth('dead', 'critical');
  });
  after(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers SRV with the passing instances and their addresses as glue', async () => {
    assert.deepEqual(await short(`orders.service.${domain}`, 'SRV'), [
      `1 1 8001 7f000001.addr.${domain}.`,
      `1 1 8002 7f000002.addr.${domain}.`,
    ]);
    const full = await dig('+noall', '+additional', `orders.service.${domain}`, 'SRV');
    assert.match(full, /7f000001\.addr\.test\.switchyard\.\s+5\s+IN\s+A\s+127\.0\.0\.1/);
    assert.deepEqual(await short(`7f000002.addr.${domain}`, 'A'), ['127.0.0.2']);
  });

  it('answers A and AAAA, versioned and per-protocol names', async () => {
    assert.deepEqual(await short(`orders.service.${domain}`, 'A'), ['127.0.0.1', '127.0.0.2']);
    assert.deepEqual(await short(`v1.orders.service.${domain}`, 'A'), ['127.0.0.1']);
    assert.deepEqual(await short(`2.0.0.orders.service.${domain}`, 'SRV'), [
      `1 1 8002 7f000002.addr.${domain}.`,
    ]);
    assert.deepEqual(await short(`_grpc._tcp.orders.service.${domain}`, 'SRV'), [
      `1 1 9001 7f000001.addr.${domain}.`,
    ]);
    assert.deepEqual(await short(`kitchen.service.${domain}`, 'AAAA'), ['::1']);
    assert.deepEqual(await short(`kitchen.service.${domain}`, 'A'), []);
    assert.equal(await status(`kitchen.service.${domain}`, 'A'), 'NOERROR');
  });

  it('answers over TCP', async () => {
    assert.deepEqual(await short('+tcp', `orders.service.${domain}`, 'SRV'), [
      `1 1 8001 7f000001.addr.${domain}.`,
      `1 1 8002 7f000002.addr.${domain}.`,
    ]);
  });

  it('says NXDOMAIN for unknown or unhealthy services and REFUSED outside its zone', async () => {
    assert.equal(await status(`nobody.service.${domain}`, 'SRV'), 'NXDOMAIN');
    assert.equal(await status(`billing.service.${domain}`, 'A'), 'NXDOMAIN');
    assert.equal(await status(`v9.orders.service.${domain}`, 'A'), 'NXDOMAIN');
    assert.equal(await status('+tcp', `nobody.service.${domain}`, 'A'), 'NXDOMAIN');
    assert.equal(await status('example.com', 'A'), 'REFUSED');
    assert.match(await dig(`nobody.service.${domain}`, 'A'), /flags: qr aa/);
  });

  it('drops malformed UDP packets and keeps answering', async () => {
    const socket = createSocket('udp4');
    const garbage = [
      Buffer.from('not dns at all'),
      Buffer.alloc(3),
      Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x3f, 0x41]),
      // A name whose compression pointer points at itself.
      Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1]),
      dns.encode({ type: 'response', id: 7, questions: [{ name: 'x', type: 'A' }] }),
    ];
    const replies: Buffer[] = [];
    socket.on('message', (m) => replies.push(m));
    for (const packet of garbage) socket.send(packet, hub.dnsPort, '127.0.0.1');
    await new Promise((done) => setTimeout(done, 200));
    socket.close();
    assert.equal(replies.length, 0);
    assert.deepEqual(await short(`orders.service.${domain}`, 'A'), ['127.0.0.1', '127.0.0.2']);
  });

  it('closes a TCP connection that sends garbage and keeps answering', async () => {
    const socket = connect(hub.dnsPort, '127.0.0.1');
    await new Promise((done) => socket.once('connect', done));
    const closed = new Promise((done) => socket.once('close', done));
    socket.write(Buffer.from([0x00, 0x05, 1, 2, 3, 4, 5]));
    await closed;
    assert.deepEqual(await short('+tcp', `orders.service.${domain}`, 'A'), ['127.0.0.1', '127.0.0.2']);
  });

  it('truncates a UDP answer too big for the client and gives all of it over TCP', async () => {
    for (let i = 0; i < 200; i++)
      await hub.registry.register({
        id: `big-${i}`,
        service: 'big',
        version: '1.0.0',
        endpoints: { http: `10.1.${i >> 8}.${i & 255}:80` },
      });
    assert.match(await dig('+ignore', '+bufsize=1232', `big.service.${domain}`, 'SRV'), /flags: qr aa tc/);
    assert.equal((await short(`big.service.${domain}`, 'SRV')).length, 200, 'dig retries over TCP');
  });
});
