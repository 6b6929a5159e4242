import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { it } from 'node:test';
import type { ChannelSpec } from '../adapter.js';
import type { BrokerHarness, SuiteContext } from './context.js';
import {
  eventually,
  keyed,
  orderViolations,
  publishAll,
  retrying,
  unique,
  workload,
  type Received,
} from './support.js';

const memberProcess = fileURLToPath(new URL('./member-process.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** A member process SIGKILLed mid-stream, a slow consumer facing a large backlog, an engine restart. */
export function failureCases(ctx: SuiteContext): void {
  const { name, harness, suiteCaps, takeoverMs, withChannel, soleMember } = ctx;
  const spawnMember = (spec: ChannelSpec, group: string, member: string) =>
    spawnMemberProcess(harness, spec, group, member);

  it(
    'rebalances when a member process is SIGKILLed: the survivor takes over, nothing is lost',
    { timeout: 120_000 },
    async () => {
      await withChannel(4, async (adapter, spec) => {
        const group = unique('g');
        const children = [spawnMember(spec, group, unique('p1')), spawnMember(spec, group, unique('p2'))];
        try {
          await eventually(
            () => new Set(children.flatMap((c) => [...c.assigned])).size === spec.partitions,
            takeoverMs * 2,
            () =>
              `assigned: ${children.map((c) => `[${[...c.assigned]}]`).join(' ')} ${children.map((c) => c.stderr).join('')}`,
          );
          if (suiteCaps.balancedAssignment) {
            await eventually(
              () => children.every((c) => c.assigned.size > 0),
              takeoverMs * 2,
              () => `assigned: ${children.map((c) => `[${[...c.assigned]}]`).join(' ')}`,
            );
          }
          const messages = workload(spec, 20, 30); // 600, ~3 ms each per member
          await publishAll(adapter, messages);
          const total = () => children[0]!.received.length + children[1]!.received.length;
          await eventually(
            () => total() >= messages.length / 4,
            30_000,
            () => `${total()} received`,
          );
          // Kill the busier member (with first-come assignment it is the only one working).
          const [victim, survivor] =
            children[0]!.received.length >= children[1]!.received.length
              ? [children[0]!, children[1]!]
              : [children[1]!, children[0]!];
          victim.process.kill('SIGKILL');
          const killedAt = survivor.received.length;
          const everything = () => new Set([...victim.received, ...survivor.received].map((r) => r.id));
          await eventually(
            () => everything().size >= messages.length,
            takeoverMs + 60_000,
            () =>
              `${everything().size} of ${messages.length} processed; survivor holds [${[...survivor.assigned]}] ${survivor.stderr}`,
          );
          assert.deepEqual(everything(), new Set(messages.map((x) => x.id)));
          assert.deepEqual(orderViolations(victim.received), [], 'order before the kill');
          assert.deepEqual(orderViolations(survivor.received.slice(killedAt)), [], 'order after takeover');
          assert.deepEqual(orderViolations(survivor.received), [], 'survivor order overall');
          assert.equal(survivor.assigned.size, spec.partitions, 'the survivor holds every partition');
        } finally {
          await Promise.all(children.map((c) => c.stop()));
        }
      });
    },
  );

  it(
    'back-pressure: a slow consumer does not make the adapter buffer the backlog',
    { timeout: 90_000 },
    async () => {
      await withChannel(4, async (adapter, spec, track) => {
        const gc = exposeGc();
        const group = unique('g');
        const m = await soleMember(adapter, spec, track, group, async (d) => {
          await sleep(20);
          await d.ack();
        });
        const bodySize = 16 * 1024;
        const count = 1600; // 25 MiB of bodies
        for (let i = 0; i < count; i += 100) {
          const batch = [];
          for (let j = i; j < i + 100; j++)
            batch.push(keyed(spec, `k${j % 40}`, Math.floor(j / 40), new Uint8Array(bodySize).fill(j % 251)));
          await adapter.publish(batch);
        }
        gc();
        const baseline = process.memoryUsage();
        await eventually(
          () => m.received.length >= 40,
          30_000,
          () => `${m.received.length} of 40`,
        );
        gc();
        const now = process.memoryUsage();
        const grown = now.external + now.heapUsed - (baseline.external + baseline.heapUsed);
        const backlog = bodySize * count;
        assert.ok(
          grown < backlog / 4,
          `memory grew by ${(grown / 2 ** 20).toFixed(1)} MiB while ${(backlog / 2 ** 20).toFixed(1)} MiB waited`,
        );
        assert.ok(
          m.received.length < count / 2,
          'the slow consumer cannot have received most of the backlog',
        );
      });
    },
  );

  it(
    'survives an engine restart: every message confirmed as published is delivered',
    { timeout: 180_000 },
    async (t) => {
      if (!harness.restartEngine) return t.skip(`${name}: the harness cannot restart the engine`);
      await withChannel(3, async (adapter, spec, track) => {
        if (!ctx.caps()?.persistent) return t.skip(`${name}: persistent is false`);
        const m = await soleMember(adapter, spec, track);
        const messages = workload(spec, 15, 20); // 300
        const confirmed: string[] = [];
        let restart: Promise<void> | undefined;
        for (let i = 0; i < messages.length; i += 10) {
          const batch = messages.slice(i, i + 10);
          if (i === 100) restart = harness.restartEngine!();
          await retrying(() => adapter.publish(batch), 60_000);
          confirmed.push(...batch.map((x) => x.id));
        }
        await restart;
        const got = () => new Set(m.ids());
        await eventually(
          () => confirmed.every((id) => got().has(id)),
          60_000,
          () => `${confirmed.filter((id) => !got().has(id)).length} confirmed messages missing`,
        );
        const known = new Set(messages.map((x) => x.id));
        assert.deepEqual(
          m.ids().filter((id) => !known.has(id)),
          [],
        );
        assert.equal(got().size, messages.length, 'every message counted');
      });
    },
  );
}

interface ChildMember {
  process: ChildProcess;
  received: Received[];
  assigned: Set<number>;
  stderr: string;
  stop(): Promise<void>;
}

function spawnMemberProcess(
  harness: BrokerHarness,
  spec: ChannelSpec,
  group: string,
  member: string,
): ChildMember {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', memberProcess], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...harness.childEnv,
      SWITCHYARD_CONFORMANCE_MODULE: harness.childModule,
      SWITCHYARD_CONFORMANCE_SPEC: JSON.stringify(spec),
      SWITCHYARD_CONFORMANCE_GROUP: group,
      SWITCHYARD_CONFORMANCE_MEMBER: member,
      SWITCHYARD_CONFORMANCE_DELAY_MS: '3',
    },
  });
  const state: ChildMember = {
    process: child,
    received: [],
    assigned: new Set(),
    stderr: '',
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  child.stderr!.on(
    'data',
    (chunk: Buffer) => void (state.stderr = (state.stderr + chunk.toString()).slice(-4000)),
  );
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let event: { type?: string; partitions?: number[] } & Partial<Received>;
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    if (event.type === 'assigned') for (const p of event.partitions ?? []) state.assigned.add(p);
    if (event.type === 'revoked') for (const p of event.partitions ?? []) state.assigned.delete(p);
    if (event.type === 'received') state.received.push({ ...(event as Received), member });
  });
  return state;
}

/** `global.gc` without starting node with --expose-gc. */
function exposeGc(): () => void {
  setFlagsFromString('--expose_gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}
