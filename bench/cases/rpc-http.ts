/**
 * HTTP RPC through Switchyard (`httpTransport` → `createHttpServer`) against raw undici → node:http.
 */
import { httpTransport, staticEndpoint } from '../../src/rpc/index.js';
import type { BenchCase, BenchGroup } from '../case.js';
import { startServer } from '../support/child.js';
import { httpConnections, rawHttpClient, switchyardClient } from '../support/clients.js';
import { transportAbout, transportCases } from '../support/transport-cases.js';

const group = 'rpc-http';

export const cases: BenchCase[] = transportCases({
  label: 'HTTP',
  group,
  baselineName: `raw undici Pool (${httpConnections} connections) → node:http, JSON`,
  async open() {
    const [sy, raw] = await Promise.all([startServer('switchyard-http'), startServer('raw-http')]);
    const client = switchyardClient(httpTransport({ endpoints: staticEndpoint(sy.address) }));
    const baseline = rawHttpClient(raw.address);
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
      'HTTP RPC: `httpTransport({ endpoints: staticEndpoint(addr) })` (an undici Pool of ' +
        `${httpConnections} keep-alive connections) calling \`createHttpServer\`, against a raw undici Pool ` +
        `of ${httpConnections} connections calling a plain \`node:http\` server that parses and re-serializes ` +
        'the JSON body.',
    ),
  },
];
