import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from 'nats';
import { SwitchyardError } from 'switchyard/errors';
import { createHost, type Host } from 'switchyard/runtime';
import { natsTransport, operationSubject } from '../../src/rpc/nats/index.js';
import { echoContract, gather, natsServers, rawConnection, uniqueName } from './fixtures/nats-support.js';

const fixture = fileURLToPath(new URL('./fixtures/nats-instance.ts', import.meta.url));

/** Starts one instance in its own process and resolves once it serves. */
async function startInstance(prefix: string, name: string, id: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', fixture, prefix, name, id],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance ${id} not ready: ${out}`)), 30_000);
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes(`ready ${id}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`instance ${id} exited with ${code}: ${out}`));
    });
  });
  return child;
}

interface Outcome {
  startedAt: number;
  instance?: string;
  code?: string;
}

describe('RPC over NATS across two instances of a service in two processes', () => {
  const prefix = uniqueName('sy-test');
  const name = uniqueName('echo');
  const Echo = echoContract(name);
  const children = new Map<string, ChildProcess>();
  let client: Host;
  let raw: NatsConnection;

  before(async () => {
    const [a, b] = await Promise.all([startInstance(prefix, name, 'a'), startInstance(prefix, name, 'b')]);
    children.set('a', a).set('b', b);
    const transport = natsTransport({ servers: natsServers, subjectPrefix: prefix });
    client = createHost({ transports: () => transport });
    raw = await rawConnection();
  });

  after(async () => {
    for (const child of children.values())
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await client?.close();
    await raw?.close();
  });

  it('spreads 100 calls across both instances (NATS queue group, no registry)', async (t) => {
    const echo = client.client(Echo);
    const counts = { a: 0, b: 0 } as Record<string, number>;
    for (let round = 0; round < 10; round++) {
      const replies = await Promise.all(
        Array.from({ length: 10 }, (_, i) => echo.whoami({ n: round * 10 + i })),
      );
      for (const reply of replies) counts[reply.instance] = (counts[reply.instance] ?? 0) + 1;
    }
    t.diagnostic(`calls per instance: ${JSON.stringify(counts)}`);
    assert.equal(counts.a! + counts.b!, 100);
    assert.ok(counts.a! > 10 && counts.b! > 10, JSON.stringify(counts));
  });

  it('is visible to NATS tooling: both instances answer ping and info with their endpoints', async () => {
    const pings = await gather(raw, `$SRV.PING.${name}`);
    assert.equal(pings.length, 2, JSON.stringify(pings));
    assert.equal(new Set(pings.map((p) => p.id)).size, 2, 'two instances, two ids');
    for (const ping of pings) {
      assert.equal(ping.type, 'io.nats.micro.v1.ping_response');
      assert.equal(ping.name, name);
      assert.equal(ping.version, '1.0.0');
    }
    const infos = await gather(raw, `$SRV.INFO.${name}`);
    assert.equal(infos.length, 2);
    for (const info of infos)
      assert.deepEqual(info.endpoints, [
        { name: 'whoami', subject: operationSubject(prefix, Echo, 'whoami'), queue_group: `${name}.v1` },
      ]);
    const everyone = await gather(raw, '$SRV.PING');
    assert.equal(everyone.filter((p) => p.name === name).length, 2);
  });

  it('keeps answering from the survivor when one instance is SIGKILLed; only calls in flight fail', async (t) => {
    const echo = client.client(Echo);
    const outcomes: Outcome[] = [];
    const concurrency = 4;
    let killedAt = Infinity;
    let done = false;
    const afterKill = () => outcomes.filter((o) => o.startedAt > killedAt).length;
    const worker = async () => {
      for (let n = 0; !done; n++) {
        const outcome: Outcome = { startedAt: Date.now() };
        outcomes.push(outcome);
        try {
          outcome.instance = (await echo.whoami({ n }, { timeoutMs: 1000 })).instance;
        } catch (error) {
          outcome.code = SwitchyardError.is(error) ? error.code : String(error);
        }
        if (afterKill() >= 40) done = true;
      }
    };
    const workers = Array.from({ length: concurrency }, worker);
    while (outcomes.filter((o) => o.instance).length < 20) await new Promise((r) => setTimeout(r, 5));
    const victim = children.get('a')!;
    victim.kill('SIGKILL');
    await once(victim, 'exit');
    killedAt = Date.now();
    await Promise.all(workers);

    const failures = outcomes.filter((o) => o.code);
    t.diagnostic(
      `${outcomes.length} calls, ${failures.length} failed: ${failures.map((f) => f.code).join(', ')}`,
    );
    assert.ok(failures.length <= concurrency, `only calls in flight may fail: ${JSON.stringify(failures)}`);
    for (const failure of failures)
      assert.ok(['DEADLINE_EXCEEDED', 'UNAVAILABLE'].includes(failure.code!), failure.code);
    const later = outcomes.filter((o) => o.startedAt > killedAt);
    assert.ok(later.length >= 40);
    assert.ok(
      later.every((o) => o.instance === 'b'),
      `every call after the kill is answered by b: ${JSON.stringify(later.filter((o) => o.instance !== 'b'))}`,
    );
    const pings = await gather(raw, `$SRV.PING.${name}`);
    assert.equal(pings.length, 1, 'the dead instance is gone from the tooling');
  });

  it('drains on SIGTERM: the last instance finishes, then callers see UNAVAILABLE notSent', async () => {
    const survivor = children.get('b')!;
    survivor.kill('SIGTERM');
    const [code] = await once(survivor, 'exit');
    assert.equal(code, 0);
    const error = await client
      .client(Echo)
      .whoami({ n: 1 }, { timeoutMs: 2000 })
      .catch((e: unknown) => e);
    assert.ok(SwitchyardError.is(error, 'UNAVAILABLE'), String(error));
    assert.equal(error.details.notSent, true);
  });
});
