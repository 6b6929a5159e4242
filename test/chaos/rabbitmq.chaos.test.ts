import { rabbitMqEngine } from './engines.js';
import { describeChaos } from './suite.js';

// Fewer than the other engines: single active consumer puts every partition on one process, and
// each node restart costs about 20 s, so 100 000 messages take 4–6 minutes here (see
// docs/messaging-chaos.md); SWITCHYARD_CHAOS_MESSAGES=100000 runs the full count.
describeChaos('rabbitmq', { start: rabbitMqEngine, messages: 30_000 });
