import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { createHost, isServiceDefinition, startService, type Host } from '../../runtime/index.js';
import { importModule } from '../import-module.js';
import type { Io } from '../io.js';
import { readManifest, type Manifest } from '../manifest.js';

export interface TrafficEnv {
  host: Host;
  io: Io;
  signal: AbortSignal;
  /** Run one round and return, rather than until the signal aborts. */
  once: boolean;
}

/** `switchyard up [manifest]`: runs every service of a manifest and its sample traffic until stopped. */
export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { once: { type: 'boolean', default: false } },
  });
  const manifest = readManifest(positionals[0] ?? 'switchyard.yaml');
  const host = createHost({ name: manifest.name });
  const definitions = await loadServices(manifest);
  for (const [name, definition] of definitions) {
    await startService(host, definition, manifest.services[name]?.config ?? {});
    io.out(`${io.style.green('✓')} ${name} ${io.style.dim(`v${definition.contract.version} (in-process)`)}`);
  }
  io.out(`${io.style.bold(manifest.name)} is up: ${definitions.size} services. Press Ctrl-C to stop.`);

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (manifest.traffic) {
      const traffic = (await importModule(resolve(manifest.dir, manifest.traffic))).default;
      if (typeof traffic !== 'function')
        throw new Error(`${manifest.traffic}: the default export must be a function`);
      await (traffic as (env: TrafficEnv) => Promise<void>)({
        host,
        io,
        signal: stop.signal,
        once: values.once ?? false,
      });
    }
    if (!values.once && !stop.signal.aborted)
      await new Promise((done) => stop.signal.addEventListener('abort', done));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    io.out('stopping…');
    await host.close();
  }
  io.out('stopped');
  return 0;
}

async function loadServices(manifest: Manifest) {
  const loaded = new Map<string, import('../../runtime/index.js').ServiceDefinition>();
  for (const [name, service] of Object.entries(manifest.services)) {
    const module = await importModule(resolve(manifest.dir, service.entry));
    if (!isServiceDefinition(module.default))
      throw new Error(
        `${manifest.file}: service ${name}: ${service.entry} must export default defineService(...)`,
      );
    loaded.set(name, module.default);
  }
  return loaded;
}
