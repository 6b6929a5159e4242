import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hubResolver, registrar } from '../../discovery/index.js';
import type { ResilienceConfig } from '../../resilience/index.js';
import { createGrpcServer } from '../../rpc/grpc/index.js';
import { remoteServices, type RemoteProtocol } from '../../rpc/remote-services.js';
import { runServiceProcess } from '../../rpc/service-process/run.js';
import { isServiceDefinition } from '../../runtime/index.js';
import { importModule } from '../import-module.js';
import type { Io } from '../io.js';
import { readManifest } from '../manifest.js';
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
  const running = await runServiceProcess({
    name: id,
    services: [service],
    config: entry.config ?? {},
    http: { port: 0 },
    servers: [
      (host) => {
        const grpc = createGrpcServer({ host });
        return {
          protocol: 'grpc',
          listen: async () => `127.0.0.1:${(await grpc.listen()).port}`,
          close: (o) => grpc.close(o),
        };
      },
    ],
    transports: remote.transports,
    interceptors: remote.interceptors,
    registrar: registrar({
      url: hub,
      registration: {
        id,
        service: service.contract.name,
        version: service.contract.version,
        ttlSeconds: 5,
        labels: { system: manifest.name },
      },
    }),
    log: (line) => io.out(line),
  });
  running.metrics?.observeResilience(remote.resilience.events);
  return new Promise<number>(() => {}); // runs until a signal stops the process
}
