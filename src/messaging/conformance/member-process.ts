/**
 * A group member in its own process, for the suite's kill-and-rebalance case. Run as
 * `node --conditions=source --import tsx member-process.ts` with:
 * - SWITCHYARD_CONFORMANCE_MODULE: absolute path of a module exporting `createAdapter(): Promise<BrokerAdapter>`
 * - SWITCHYARD_CONFORMANCE_SPEC: the channel spec as JSON
 * - SWITCHYARD_CONFORMANCE_GROUP, SWITCHYARD_CONFORMANCE_MEMBER
 * - SWITCHYARD_CONFORMANCE_DELAY_MS: time spent "processing" each message before the ack (default 0)
 *
 * Prints JSON lines on stdout: `{"type":"started"}`, `{"type":"assigned"|"revoked","partitions":[…]}`,
 * `{"type":"received","id","key","seq","partition","deliveryCount"}` (printed before the ack, so a
 * kill between the two shows as a redelivery, never as a loss). SIGTERM closes the consumer and exits.
 */
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerAdapter, ChannelSpec } from '../adapter.js';

function env(name: string): string {
  const value = process.env[`SWITCHYARD_CONFORMANCE_${name}`];
  if (value === undefined) throw new Error(`SWITCHYARD_CONFORMANCE_${name} is not set`);
  return value;
}

const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const mod = (await import(pathToFileURL(env('MODULE')).href)) as { createAdapter(): Promise<BrokerAdapter> };
const adapter = await mod.createAdapter();
const spec = JSON.parse(env('SPEC')) as ChannelSpec;
const delayMs = Number(process.env.SWITCHYARD_CONFORMANCE_DELAY_MS ?? 0);

const consumer = adapter.consume({
  channel: spec,
  group: env('GROUP'),
  member: env('MEMBER'),
  onEvent: (event) => print(event.type === 'disconnected' ? { type: event.type } : event),
});

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void consumer
    .close()
    .then(() => adapter.close())
    .finally(() => process.exit(0));
});

print({ type: 'started' });
for await (const d of consumer) {
  print({
    type: 'received',
    id: d.id,
    key: d.headers.key,
    seq: Number(d.headers.seq),
    partition: d.partition,
    deliveryCount: d.deliveryCount,
  });
  if (delayMs > 0) await sleep(delayMs);
  await d.ack();
}
