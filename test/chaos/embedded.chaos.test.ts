import { embeddedEngine } from './engines.js';
import { describeChaos } from './suite.js';

describeChaos('embedded', { start: embeddedEngine, messages: 100_000 });
