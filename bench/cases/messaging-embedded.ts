/**
 * Messaging on the embedded broker (SQLite, WAL) through Switchyard's messaging layer, against a
 * hand-written better-sqlite3 queue with the same durability, and against the absolute goals.
 * Moleculer has no embedded engine, so there is no Moleculer side here.
 */
import { embeddedBroker } from '../../src/messaging/index.js';
import type { BenchCase, BenchGroup } from '../case.js';
import { engineAbout, engineCases, settings } from '../support/messaging-cases.js';
import { rawSqliteSide, scratchFile, type Synchronous } from '../support/messaging-raw-sqlite.js';
import { switchyardSide } from '../support/messaging-switchyard.js';

const group = 'messaging-embedded';
/**
 * Commits survive a process crash, not the last second of a power loss (the raw side fsyncs never); the
 * adapter's default, `commit`, fsyncs every commit.
 */
const synchronous: Synchronous = 'NORMAL';
const goals = { endToEnd: 20_000, p99Ms: 20 };

const engine = engineCases({
  label: 'embedded',
  group,
  switchyard: switchyardSide({
    broker: (id) => embeddedBroker({ file: scratchFile(id).file, durability: 'interval' }),
    cleanup: (id) => scratchFile(id).remove(),
    partitions: settings.consumerInFlight,
    concurrency: settings.consumerInFlight,
  }),
  raw: rawSqliteSide({ synchronous, inFlight: settings.consumerInFlight }),
  rawName: `better-sqlite3 queue, WAL, synchronous=${synchronous}: INSERT per publish, UPDATE per ack`,
});

const goalCases: BenchCase[] = [
  {
    name: `embedded end-to-end msg/s vs the ${goals.endToEnd / 1000}k goal`,
    group,
    unit: 'msg/s',
    higherIsBetter: true,
    goal: {
      minRatio: 1,
      description: `at least ${goals.endToEnd.toLocaleString('en-US')} messages/s end to end`,
    },
    async run() {
      const switchyard = (await engine.measured.flow()).figures.find((f) => f.name === 'switchyard')!;
      return {
        switchyard: switchyard.rate,
        baseline: goals.endToEnd,
        baselineName: `the goal: ${goals.endToEnd.toLocaleString('en-US')} msg/s`,
        notes: 'same measurement as the end-to-end row.',
      };
    },
  },
  {
    name: `embedded p99 latency at ${settings.perSecond.toLocaleString('en-US')} msg/s vs the ${goals.p99Ms} ms goal`,
    group,
    unit: 'ms',
    higherIsBetter: false,
    goal: { minRatio: 1, description: `p99 under ${goals.p99Ms} ms at ${settings.perSecond} msg/s` },
    async run() {
      const switchyard = (await engine.measured.latency()).figures.find((f) => f.name === 'switchyard')!;
      return {
        switchyard: switchyard.p99,
        baseline: goals.p99Ms,
        baselineName: `the goal: ${goals.p99Ms} ms`,
        notes: 'same measurement as the p99 row.',
      };
    },
  },
];

export const cases: BenchCase[] = [...engine.cases, ...goalCases];

export const groups: BenchGroup[] = [
  {
    name: group,
    about: engineAbout(
      `The embedded broker (\`embeddedBroker({ file, durability: 'interval' })\`, a fresh SQLite file in ` +
        'the temporary directory per side and measurement).',
      `Its raw baseline is the least a hand-written SQLite queue needs for the same guarantees: ` +
        `better-sqlite3 on its own file, WAL, \`synchronous=${synchronous}\` like the broker; a publish is one ` +
        'INSERT committed on its own (confirmed when the commit returns) followed by an in-process wake-up of ' +
        `the reader; the reader keeps ${settings.consumerInFlight} messages in hand, reading the rows after the last one it read when ` +
        'woken (or every 50 ms); an ack is one UPDATE committed on its own. It is a single-reader queue with ' +
        'no partitions, per-key order, leases or group offsets — what the broker adds. ' +
        `\`synchronous=${synchronous}\` makes a commit survive a crash of the process but not of the machine ` +
        '(FULL, the adapter default, fsyncs every commit: about a thousand commits per second on this machine, ' +
        'for either side). No Moleculer side: it has no embedded engine.',
    ),
  },
];
