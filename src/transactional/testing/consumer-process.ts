/**
 * Internal, for tests: a consumer whose handler applies a business effect through the inbox, in a
 * process of its own so a test can SIGKILL it mid-handler. SWITCHYARD_CONSUMER holds the JSON of
 * `ConsumerProcessSpec`. The effect is a row in `<schema>.effects (key, seq, message_id)`; the message
 * carries `key` and `seq` headers. Prints `{"type":"started"}` and `{"type":"assigned"}` lines.
 */
import type { ChannelSpec, Delivery } from '../../messaging/adapter.js';
import { silentLogger } from '../events.js';
import { createInbox } from '../inbox.js';
import { openPostgresStore } from '../postgres/store.js';
import { brokerFor, type EngineName } from './engines.js';

export interface ConsumerProcessSpec {
  readonly pgUrl: string;
  readonly schema: string;
  readonly engine: EngineName;
  readonly brokerUrl?: string;
  readonly prefix: string;
  readonly channel: ChannelSpec;
  readonly group: string;
  readonly member: string;
}

const spec = JSON.parse(process.env.SWITCHYARD_CONSUMER ?? '{}') as ConsumerProcessSpec;
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const store = await openPostgresStore({
  connection: { connectionString: spec.pgUrl, max: spec.channel.partitions + 2 },
  schema: spec.schema,
});
const inbox = createInbox({ store, logger: silentLogger, cleanupIntervalMs: 0 });
const broker = brokerFor(spec.engine, spec.prefix, spec.brokerUrl);
const consumer = broker.consume({
  channel: spec.channel,
  group: spec.group,
  member: spec.member,
  onEvent: (event) =>
    void (event.type === 'assigned' && print({ type: 'assigned', partitions: event.partitions })),
});

async function handle(delivery: Delivery): Promise<void> {
  for (;;) {
    try {
      await inbox.process({ group: spec.group, messageId: delivery.id }, async (tx) => {
        await tx.query(`INSERT INTO "${spec.schema}".effects (key, seq, message_id) VALUES ($1, $2, $3)`, [
          delivery.headers.key,
          Number(delivery.headers.seq),
          delivery.id,
        ]);
      });
      break;
    } catch {
      // database or broker hiccup (the broker may be restarting): the partition waits for this message
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  // A lost ack (broker restarting) only means the message comes again: the inbox skips it then.
  await delivery.ack().catch(() => {});
}

process.on('SIGTERM', () => {
  void consumer
    .close()
    .then(() => Promise.all([broker.close(), store.close()]))
    .finally(() => process.exit(0));
});
print({ type: 'started' });
// One message in flight per partition (the adapter's guarantee): partitions are handled concurrently.
for await (const delivery of consumer) void handle(delivery);
