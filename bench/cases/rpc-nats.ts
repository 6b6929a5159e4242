/**
 * RPC over NATS through Switchyard (`natsTransport` → `createNatsServer`) against raw nats.js
 * request-reply.
 */
import { randomUUID } from 'node:crypto';
import { natsTransport } from '../../src/rpc/index.js';
import type { BenchCase, BenchGroup } from '../case.js';
import { startServer } from '../support/child.js';
import { rawNatsClient, switchyardClient } from '../support/clients.js';
import { transportAbout, transportCases } from '../support/transport-cases.js';

const group = 'rpc-nats';
const nats = 'nats://127.0.0.1:4222';

export const cases: BenchCase[] = transportCases({
  label: 'NATS',
  group,
  baselineName: 'raw nats.js nc.request → nc.subscribe with a queue group, JSON',
  async open() {
    // Unique subjects per measurement: nothing left over from another run can answer.
    const prefix = `bench.${randomUUID().slice(0, 8)}`;
    const rawSubject = `${prefix}.raw.echo`;
    const [sy, raw] = await Promise.all([
      startServer('switchyard-nats', { nats, subject: prefix }),
      startServer('raw-nats', { nats, subject: rawSubject }),
    ]);
    const client = switchyardClient(natsTransport({ servers: nats, subjectPrefix: prefix }));
    const baseline = await rawNatsClient(nats, rawSubject);
    return {
      switchyard: client.echo,
      baseline: baseline.echo,
      async close() {
        await Promise.all([client.close(), baseline.close()]);
        await Promise.all([sy.stop(), raw.stop()]);
      },
    };
  },
});

export const groups: BenchGroup[] = [
  {
    name: group,
    about: transportAbout(
      'RPC over NATS (the NATS server at 127.0.0.1:4222, a unique subject prefix per measurement): ' +
        '`natsTransport` (one connection, one wildcard reply subscription) calling `createNatsServer`, ' +
        'against nats.js `nc.request` (its default muxed inbox: one reply subscription) calling a ' +
        '`nc.subscribe` in a queue group that parses and re-serializes the JSON.',
    ),
  },
];
