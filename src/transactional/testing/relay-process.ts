/**
 * Internal, for tests: an outbox relay in a process of its own, so a test can SIGKILL it mid-batch.
 * Run as `node --conditions=source --import tsx relay-process.ts` with SWITCHYARD_RELAY set to the
 * JSON of `RelayProcessSpec`. Prints JSON lines on stdout: `{"type":"started"}`, then the relay's
 * `leadership` and `relayed` events (count only). SIGTERM stops the relay and exits.
 */
import type { ChannelSpec } from '../../messaging/adapter.js';
import { silentLogger, type TransactionalEvent } from '../events.js';
import { startLogTailingRelay } from '../postgres/log-tailing/relay.js';
import { startPollingRelay } from '../postgres/polling-relay.js';
import { openPostgresStore } from '../postgres/store.js';
import type { Relay } from '../relay.js';
import { brokerFor, type EngineName } from './engines.js';

export interface RelayProcessSpec {
  readonly mode: 'polling' | 'log-tailing';
  readonly pgUrl: string;
  readonly schema: string;
  readonly engine: EngineName;
  readonly brokerUrl?: string;
  readonly prefix: string;
  readonly channels: readonly ChannelSpec[];
  readonly slot?: string;
  readonly batchSize?: number;
}

const spec = JSON.parse(process.env.SWITCHYARD_RELAY ?? '{}') as RelayProcessSpec;
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const store = await openPostgresStore({
  connection: { connectionString: spec.pgUrl, max: 4 },
  schema: spec.schema,
});
const broker = brokerFor(spec.engine, spec.prefix, spec.brokerUrl);
const common = {
  store,
  broker,
  channels: spec.channels,
  logger: silentLogger,
  retry: { initialDelayMs: 50, maxDelayMs: 1_000 },
  ...(spec.batchSize ? { batchSize: spec.batchSize } : {}),
  onEvent: (event: TransactionalEvent) => {
    if (event.type === 'leadership') print({ type: 'leadership', leader: event.leader });
    if (event.type === 'relayed') print({ type: 'relayed', count: event.count });
    if (event.type === 'relay-failed')
      print({
        type: 'failed',
        code: event.error.code,
        error: String(event.error.cause ?? event.error.message),
      });
  },
};
const relay: Relay =
  spec.mode === 'polling'
    ? await startPollingRelay({ ...common, pollIntervalMs: 200 })
    : await startLogTailingRelay({
        ...common,
        leaderPollMs: 200,
        statusIntervalMs: 1_000,
        ...(spec.slot ? { slot: spec.slot } : {}),
      });

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void relay
    .stop()
    .then(() => Promise.all([broker.close(), store.close()]))
    .finally(() => process.exit(0));
});
print({ type: 'started' });
