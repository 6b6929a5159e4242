import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { embeddedBroker, jetStreamBroker, rabbitMqBroker, redisStreamsBroker } from '../index.js';
import { describeMessaging } from './conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-bus-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const prefix = `sy-bus-${randomBytes(4).toString('hex')}`;

describeMessaging('embedded', {
  create: async () => embeddedBroker({ file: join(dir, 'broker.db'), leaseMs: 1_000 }),
});
describeMessaging('rabbitmq', { create: async () => rabbitMqBroker({ prefix }) });
describeMessaging('jetstream', {
  create: async () => jetStreamBroker({ prefix: prefix.replaceAll('-', '_') }),
});
describeMessaging('redis', { create: async () => redisStreamsBroker({ prefix }) });
