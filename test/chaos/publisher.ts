/**
 * The chaos test's publisher process: sends every `step` command of the plan through the typed
 * messaging layer, one key after another within a lane and many lanes at once, so each key's
 * commands leave in order while keys interleave. A failed send is retried until it succeeds (the
 * broker may be restarting); a send that failed may still have been stored, so a retry can
 * duplicate a message, never lose one. Run as `node --conditions=source --import tsx publisher.ts`
 * with SWITCHYARD_CHAOS_ADAPTER, SWITCHYARD_CHAOS_CONTRACT and SWITCHYARD_CHAOS_PLAN (JSON `Plan`);
 * optional SWITCHYARD_CHAOS_LANES (default 64).
 *
 * Prints JSON lines on stdout: `{"type":"progress","sent","failures"}` every 1000 messages and
 * `{"type":"done","sent","failures","ms"}` at the end; exits 1 when a send keeps failing for 5 minutes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { BrokerAdapter } from '../../src/messaging/adapter.js';
import { createMessaging } from '../../src/messaging/bus/index.js';
import { SwitchyardError } from '../../src/errors/index.js';
import { chaosContract, chaosGroup, keyName, type Plan } from './contract.js';

function env(name: string): string {
  const value = process.env[`SWITCHYARD_CHAOS_${name}`];
  if (value === undefined) throw new Error(`SWITCHYARD_CHAOS_${name} is not set`);
  return value;
}

const giveUpMs = 5 * 60_000;
const stuckMs = 60_000;
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const contract = chaosContract(env('CONTRACT'));
const plan = JSON.parse(env('PLAN')) as Plan;
const lanes = Math.max(1, Math.min(plan.keys, Number(process.env.SWITCHYARD_CHAOS_LANES ?? 64)));
const marked = new Set(plan.marked);
const mod = (await import(pathToFileURL(env('ADAPTER')).href)) as { createAdapter(): Promise<BrokerAdapter> };
const broker = await mod.createAdapter();
const channel = `${contract.name}.commands`;
const bus = createMessaging({
  broker,
  service: 'chaos-publisher',
  // The group is declared with the channel: RabbitMQ keeps nothing for a group it does not know yet.
  channels: { [channel]: { partitions: plan.partitions, groups: [chaosGroup] } },
});

let sent = 0;
let failures = 0;
/** Failed sends by error code and message (the first 160 characters). */
const errors = new Map<string, number>();

async function sendUntilStored(payload: { key: string; seq: number; fail?: boolean }): Promise<void> {
  const firstTry = Date.now();
  for (let attempt = 0; ; attempt++) {
    // A send that neither resolves nor fails would stall the run silently: say so.
    const watchdog = setTimeout(
      () => process.stderr.write(`send of ${payload.key}:${payload.seq} still pending after ${stuckMs} ms\n`),
      stuckMs,
    );
    try {
      await bus.send(contract, 'step', payload);
      return;
    } catch (error) {
      failures++;
      const e = SwitchyardError.from(error);
      const cause = e.cause instanceof Error ? ` (${e.cause.message})` : '';
      const what = `${e.code}: ${e.message}${cause}`.slice(0, 160);
      errors.set(what, (errors.get(what) ?? 0) + 1);
      if (Date.now() - firstTry > giveUpMs) throw error;
      await sleep(Math.min(1_000, 20 * 2 ** attempt));
    } finally {
      clearTimeout(watchdog);
    }
  }
}

async function lane(first: number): Promise<void> {
  for (let seq = 0; seq < plan.perKey; seq++)
    for (let k = first; k < plan.keys; k += lanes) {
      const key = keyName(k);
      await sendUntilStored(marked.has(`${key}:${seq}`) ? { key, seq, fail: true } : { key, seq });
      if (++sent % 1_000 === 0) print({ type: 'progress', sent, failures });
    }
}

const started = Date.now();
try {
  await Promise.all(Array.from({ length: lanes }, (_, j) => lane(j)));
} catch (error) {
  process.stderr.write(`publishing gave up: ${String(error)}\n`);
  process.exit(1);
}
print({ type: 'done', sent, failures, errors: Object.fromEntries(errors), ms: Date.now() - started });
await bus.close();
await broker.close();
process.exit(0);
