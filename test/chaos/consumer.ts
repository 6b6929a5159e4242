/**
 * A consumer process of the chaos test: one member of the chaos group, handling `step` commands
 * through the typed messaging layer and recording every handler run in its own journal before the
 * handler returns (the ack follows the handler). Run as
 * `node --conditions=source --import tsx consumer.ts` with:
 * - SWITCHYARD_CHAOS_ADAPTER: absolute path of a module exporting `createAdapter(): Promise<BrokerAdapter>`
 *   (plus whatever environment that module reads)
 * - SWITCHYARD_CHAOS_CONTRACT, SWITCHYARD_CHAOS_PARTITIONS: the contract's name and its channel's partitions
 * - SWITCHYARD_CHAOS_JOURNAL: the file to append runs to
 * - SWITCHYARD_CHAOS_EPOCH: the run's start on the monotonic clock (ns), subtracted from recorded times
 *
 * Prints `ready` on stdout once it consumes; SIGTERM closes it gracefully. It is meant to be SIGKILLed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { BrokerAdapter } from '../../src/messaging/adapter.js';
import { createMessaging } from '../../src/messaging/bus/index.js';
import { chaosContract, chaosGroup } from './contract.js';
import { formatRun, Journal } from './journal.js';

function env(name: string): string {
  const value = process.env[`SWITCHYARD_CHAOS_${name}`];
  if (value === undefined) throw new Error(`SWITCHYARD_CHAOS_${name} is not set`);
  return value;
}

const epoch = BigInt(env('EPOCH'));
const now = () => Number(process.hrtime.bigint() - epoch);
const contract = chaosContract(env('CONTRACT'));
const channel = `${contract.name}.commands`;
const partitions = Number(env('PARTITIONS'));
const journal = await Journal.open(env('JOURNAL'));
const mod = (await import(pathToFileURL(env('ADAPTER')).href)) as { createAdapter(): Promise<BrokerAdapter> };
const broker = await mod.createAdapter();

const bus = createMessaging({
  broker,
  service: chaosGroup,
  channels: { [channel]: { partitions, groups: [chaosGroup] } },
  retry: { attempts: 3, initialDelayMs: 5, maxDelayMs: 20 },
  onEvent: (event) => {
    if (event.type === 'consumer-error' || event.type === 'dead-lettered')
      process.stderr.write(`${event.type}: ${event.error.code} ${event.error.message}\n`);
  },
});

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void bus
    .close()
    .then(() => broker.close())
    .then(() => journal.close())
    .finally(() => process.exit(0));
});

// Started while the broker restarts, the first attempts fail: keep trying.
for (let failures = 0; !stopping; failures++) {
  try {
    await bus.handle(contract, {
      step: async (payload, _ctx, message) => {
        const start = now();
        const ok = payload.fail !== true;
        await journal.append(
          formatRun({
            key: payload.key,
            seq: payload.seq,
            partition: message.partition,
            start,
            end: now(),
            deliveryCount: message.deliveryCount,
            attempt: message.attempt,
            ok,
          }),
        );
        if (!ok) throw new Error(`${payload.key}:${payload.seq} is marked to fail`);
      },
    });
    process.stdout.write('ready\n');
    break;
  } catch (error) {
    process.stderr.write(`handle failed: ${String(error)}\n`);
    await sleep(Math.min(2_000, 100 * 2 ** failures));
  }
}
