import { redisEngine } from './engines.js';
import { describeChaos } from './suite.js';

describeChaos('redis', { start: redisEngine, messages: 100_000 });
