import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { describeBrokerAdapter } from '../conformance/suite.js';
import { rabbitMqBroker } from './index.js';
import { startPrivateRabbitMq, type PrivateRabbitMq } from './private-node.js';

// The suite restarts the engine, so it runs against a private RabbitMQ node (its own name, ports
// and data), never the shared one. Where a private node cannot start, it runs against the shared
// node (RABBITMQ_URL) with unique names, and the restart case is skipped.
let node: PrivateRabbitMq | undefined;
try {
  node = await startPrivateRabbitMq();
} catch (error) {
  console.error(`private RabbitMQ node unavailable, using the shared one: ${String(error).slice(0, 300)}`);
}
after(() => node?.stop());

const url = node?.url ?? process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const prefix = `syconf-${randomBytes(4).toString('hex')}`;
const probeMs = 1_000;

describeBrokerAdapter('RabbitMQ', {
  create: async () => rabbitMqBroker({ url, prefix, probeIntervalMs: probeMs }),
  childModule: fileURLToPath(new URL('./conformance-child.ts', import.meta.url)),
  childEnv: {
    SWITCHYARD_RABBITMQ_URL: url,
    SWITCHYARD_RABBITMQ_PREFIX: prefix,
    SWITCHYARD_RABBITMQ_PROBE_MS: String(probeMs),
  },
  capabilities: {
    // Single active consumer gives every partition queue to its first subscriber.
    balancedAssignment: false,
    // A group's queues receive only what is published after they are declared.
    historyForNewGroups: false,
  },
  // RabbitMQ notices a killed process at once (its socket closes); the survivor learns it owns a
  // partition from its next delivery or its next probe.
  takeoverMs: 5_000,
  ...(node ? { restartEngine: () => node.restart() } : {}),
});
