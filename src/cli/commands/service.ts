import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hubResolver, registrar } from '../../discovery/index.js';
import type { ResilienceConfig } from '../../resilience/index.js';
import { grpcProcessServer } from '../../rpc/service-process/grpc.js';
import { remoteServices, type RemoteProtocol } from '../../rpc/remote-services.js';
import { runServiceProcess } from '../../rpc/service-process/run.js';
import { isServiceDefinition } from '../../runtime/index.js';
import { importModule } from '../import-module.js';
import type { Io } from '../io.js';
import { brokerUrlOf, databaseOf, readManifest } from '../manifest.js';
import { connectBroker, createMessaging, observeConsumerLag } from '../../messaging/index.js';
import { stopWithParent } from '../up/parent-watch.js';

/**
 * `switchyard service <manifest> <name> [--replica N] [--hub URL]`: runs one service of a manifest as
 * its own process: serves it over HTTP (and gRPC), registers with the hub, finds the services it
 * calls through the hub, and drains on SIGTERM. `switchyard up` starts one of these per replica.
 */
export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { replica: { type: 'string', default: '1' }, hub: { type: 'string' } },
  });
  const [manifestPath, name] = positionals;
  if (!manifestPath || !name) {
    io.err('usage: switchyard service <manifest> <service> [--replica N] [--hub URL]');
    return 2;
  }
  stopWithParent();
  const manifest = readManifest(manifestPath);
  const entry = manifest.services[name];
  if (!entry) throw new Error(`${manifest.file}: no service ${JSON.stringify(name)}`);
  const module = await importModule(resolve(manifest.dir, entry.entry));
  const service = module.default;
  if (!isServiceDefinition(service)) throw new Error(`${entry.entry} must export default defineService(...)`);

  const hub =
    values.hub ?? process.env.SWITCHYARD_HUB_URL ?? `http://127.0.0.1:${manifest.hub?.port ?? 7070}`;
  const resolver = hubResolver({ url: hub });
  const protocol: Record<string, RemoteProtocol> = {};
  for (const [other, spec] of Object.entries(manifest.services)) protocol[other] = spec.protocol ?? 'http';
  const remote = remoteServices({
    resolver,
    protocol,
    ...(manifest.resilience ? { resilience: manifest.resilience as ResilienceConfig } : {}),
  });
  const id = `${name}-${values.replica}`;
  const broker = connectBroker(brokerUrlOf(manifest), { prefix: process.env.SWITCHYARD_BROKER_PREFIX });
  const messaging = createMessaging({
    broker,
    service: service.contract.name,
    instance: `${id}-${process.pid}`,
    ...(manifest.channels ? { channels: manifest.channels } : {}),
    onEvent: (event) => {
      if (event.type === 'dead-lettered' || event.type === 'consumer-error' || event.type === 'notify-failed')
        io.err(`${id}: ${event.type} on ${event.channel}: ${event.error.message}`);
    },
  });
  const running = await runServiceProcess({
    env: { messaging },
    background: [{ close: async () => (await messaging.close(), await broker.close()) }],
    name: id,
    services: [service],
    config: { ...entryConfig(manifest, name, service.contract.name), ...entry.config },
    http: { port: 0 },
    servers: [grpcProcessServer],
    transports: remote.transports,
    interceptors: remote.interceptors,
    registrar: registrar({
      url: hub,
      registration: {
        id,
        service: service.contract.name,
        version: service.contract.version,
        ttlSeconds: 5,
        labels: { ...entry.labels, system: manifest.name },
      },
    }),
    log: (line) => io.out(line),
  });
  running.metrics?.observeResilience(remote.resilience.events);
  if (running.metrics) observeConsumerLag(messaging, broker, running.metrics.registry);
  return new Promise<number>(() => {}); // runs until a signal stops the process
}

/** What every service is told about its place in the system, before its own `config` entries. */
function entryConfig(
  manifest: ReturnType<typeof readManifest>,
  name: string,
  service: string,
): Record<string, string> {
  const { url, schema } = databaseOf(manifest, name, process.env, service);
  return { database: url, schema };
}
