import { jetStreamEngine } from './engines.js';
import { describeChaos } from './suite.js';

describeChaos('jetstream', { start: jetStreamEngine, messages: 100_000 });
