import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { connectBroker } from '../../messaging/index.js';
import { createMetrics } from '../../observability/index.js';
import { openStore, startRelay, transactionalMetrics } from '../../transactional/index.js';
import type { Io } from '../io.js';
import { brokerUrlOf, databaseOf, readManifest } from '../manifest.js';
import { stopWithParent } from '../up/parent-watch.js';

const usage = 'usage: switchyard relay <manifest> <service> [--port N]';

/**
 * `switchyard relay <manifest> <service>`: moves the service's committed outbox rows to the broker
 * (the SQLite relay, or the PostgreSQL polling publisher) until SIGINT or SIGTERM. `switchyard up`
 * runs one per service marked `relay: true`. Serves `/healthz` and `/metrics` (outbox backlog, relay
 * lag) on `--port`.
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: 'string', default: '0' } },
  });
  const [manifestPath, name] = positionals;
  if (!manifestPath || !name) {
    io.err(usage);
    return 2;
  }
  stopWithParent();
  const manifest = readManifest(manifestPath);
  if (!manifest.services[name]) throw new Error(`${manifest.file}: no service ${JSON.stringify(name)}`);
  const { url, schema } = databaseOf(manifest, name);
  const store = await openStore(url, { schema });
  const broker = connectBroker(brokerUrlOf(manifest), { prefix: process.env.SWITCHYARD_BROKER_PREFIX });
  const metrics = createMetrics({ labels: { process: `${name}-relay` } });
  const outbox = transactionalMetrics({ registry: metrics.registry });
  outbox.watch(store, name);
  const relay = await startRelay(store, broker, {
    onEvent: (event) => {
      outbox.onEvent(event);
      if (event.type === 'relay-failed') io.err(`${name}-relay: ${event.type} ${event.error.message}`);
    },
  });
  const server = createServer((req, res) => {
    if (req.url === '/healthz') return void res.end('ok');
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    void metrics
      .render()
      .then(({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body));
  });
  await new Promise<void>((done) => server.listen(Number(values.port), '127.0.0.1', done));
  const address = server.address();
  io.out(
    `${name}-relay: ${relay.mode} relay from ${store.dialect} to the broker, metrics on port ${typeof address === 'object' && address ? address.port : values.port}`,
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await relay.stop();
  server.close();
  await broker.close();
  await store.close();
  io.out(`${name}-relay: stopped`);
  return 0;
}
