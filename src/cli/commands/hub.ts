import { parseArgs } from 'node:util';
import { hubDefaults } from '../../discovery/hub-api.js';
import { startHub, type HubOptions } from '../../hub/index.js';
import type { Io } from '../io.js';
import { stopWithParent } from '../up/parent-watch.js';

const help = `Usage: switchyard hub [options]

Runs the service registry (HTTP API, health checks, DNS) until Ctrl-C.

Options:
  --host <addr>        listen address (default ${hubDefaults.host}); off loopback --token is required
  --port <n>           HTTP API port (default ${hubDefaults.port})
  --dns-port <n>       DNS port, UDP and TCP (default ${hubDefaults.dnsPort})
  --domain <name>      DNS zone (default ${hubDefaults.domain})
  --data-dir <dir>     where the SQLite registry lives (default .switchyard/hub)
  --backend <name>     sqlite (default) or etcd
  --etcd <urls>        etcd endpoints, comma-separated (default http://127.0.0.1:2379)
  --etcd-prefix <p>    etcd key prefix shared by hubs of one registry (default switchyard/registry/)
  --token <secret>     required on writes (or SWITCHYARD_HUB_TOKEN)
  --ttl <s>            heartbeat TTL of registrations that name none (default ${hubDefaults.ttlSeconds})
  --evict-after <n>    missed heartbeats before eviction (default ${hubDefaults.evictAfter})
  --dns-ttl <s>        TTL of DNS answers (default 5)
  --no-checks          do not run active health checks`;

/** `switchyard hub`: the registry and its DNS interface, until SIGINT or SIGTERM. */
export async function run(args: string[], io: Io): Promise<number> {
  stopWithParent();
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'dns-port': { type: 'string' },
      domain: { type: 'string' },
      'data-dir': { type: 'string' },
      backend: { type: 'string' },
      etcd: { type: 'string' },
      'etcd-prefix': { type: 'string' },
      token: { type: 'string' },
      ttl: { type: 'string' },
      'evict-after': { type: 'string' },
      'dns-ttl': { type: 'string' },
      'no-checks': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(help);
    return 0;
  }
  const backend = values.backend ?? 'sqlite';
  if (backend !== 'sqlite' && backend !== 'etcd')
    throw new Error(`--backend must be sqlite or etcd, not ${backend}`);
  const token = values.token ?? process.env.SWITCHYARD_HUB_TOKEN;
  const options: HubOptions = {
    backend,
    checks: !values['no-checks'],
    onTransition: (t) => io.out(`${t.service}/${t.id}: ${t.from} → ${paint(io, t.to)}`),
    onError: (error) => io.err(`hub: ${error instanceof Error ? error.message : String(error)}`),
  };
  if (values.host !== undefined) options.host = values.host;
  if (values.domain !== undefined) options.domain = values.domain;
  if (values['data-dir'] !== undefined) options.dataDir = values['data-dir'];
  if (values.etcd !== undefined) options.etcd = values.etcd.split(',').map((url) => url.trim());
  if (values['etcd-prefix'] !== undefined) options.etcdPrefix = values['etcd-prefix'];
  if (token) options.token = token;
  if (values.port !== undefined) options.port = integer('--port', values.port, 0, 65_535);
  if (values['dns-port'] !== undefined)
    options.dnsPort = integer('--dns-port', values['dns-port'], 0, 65_535);
  if (values.ttl !== undefined) options.ttlSeconds = integer('--ttl', values.ttl, 1, 86_400);
  if (values['evict-after'] !== undefined)
    options.evictAfter = integer('--evict-after', values['evict-after'], 1, 1000);
  if (values['dns-ttl'] !== undefined) options.dnsTtl = integer('--dns-ttl', values['dns-ttl'], 0, 86_400);

  const hub = await startHub(options);
  const where =
    backend === 'etcd' ? `etcd ${(options.etcd ?? ['http://127.0.0.1:2379']).toString()}` : 'sqlite';
  io.out(
    `${io.style.green('✓')} hub registry ${io.style.bold(hub.url)}/v1/registry ${io.style.dim(`(${where})`)}`,
  );
  const dnsHost = hub.url.replace(/^http:\/\/|:\d+$/g, '').replace(/^\[|\]$/g, '');
  io.out(`${io.style.green('✓')} hub dns      udp+tcp ${dnsHost}:${hub.dnsPort}, zone ${hub.domain}`);
  io.out(io.style.dim(`  try: dig @${dnsHost} -p ${hub.dnsPort} <service>.service.${hub.domain} SRV`));
  if (token) io.out(io.style.dim('  writes require the token'));
  io.out('Press Ctrl-C to stop.');

  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  io.out('stopping…');
  await hub.close();
  io.out('stopped');
  return 0;
}

function integer(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${flag} must be an integer from ${min} to ${max}`);
  return n;
}

function paint(io: Io, state: string): string {
  return state === 'passing'
    ? io.style.green(state)
    : state === 'warning'
      ? io.style.yellow(state)
      : io.style.red(state);
}
