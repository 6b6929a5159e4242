import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import { validator } from '../contract/index.js';

const ServiceEntry = Type.Object(
  {
    entry: Type.String({ minLength: 1, description: 'module whose default export is a defineService(...)' }),
    replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, default: 1 })),
    /** Protocol other services use to call this one. */
    protocol: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('grpc')])),
    config: Type.Optional(Type.Record(Type.String(), Type.String())),
    /** The service's own database: `sqlite:<file>` (default `.switchyard/<service>.db`) or `postgres://…`. */
    database: Type.Optional(Type.String({ pattern: '^(sqlite:|postgres(ql)?://)' })),
    /** Run an outbox relay process for the service's database (services that write to an outbox). */
    relay: Type.Optional(Type.Boolean()),
    /** Labels of its instances in the registry, e.g. `track: canary` for a gateway canary route. */
    labels: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String())),
  },
  { additionalProperties: false },
);

const HubEntry = Type.Object(
  {
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    dnsPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    domain: Type.Optional(Type.String({ minLength: 1 })),
    /** Where the hub keeps registrations: `sqlite` (default, a file under .switchyard) or `etcd://host:port[,host:port]`. */
    registry: Type.Optional(Type.String({ pattern: '^(sqlite|etcd://.+)$' })),
  },
  { additionalProperties: false },
);

const ChannelEntry = Type.Object(
  {
    partitions: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
    retentionMs: Type.Optional(Type.Integer({ minimum: 1 })),
    groups: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  },
  { additionalProperties: false },
);

const GatewayEntry = Type.Object(
  {
    config: Type.String({ minLength: 1, description: 'gateway configuration file, beside the manifest' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  },
  { additionalProperties: false },
);

const ManifestSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    broker: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'embedded (default), embedded:<file>, amqp://…, nats://… or redis://…',
      }),
    ),
    channels: Type.Optional(Type.Record(Type.String({ minLength: 1 }), ChannelEntry)),
    durability: Type.Optional(
      Type.Union([Type.Literal('commit'), Type.Literal('interval')], {
        description:
          'how the embedded broker and SQLite databases reach the disk: commit (default, fsync at every commit) or interval (every second)',
      }),
    ),
    services: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]*$' }), ServiceEntry),
    hub: Type.Optional(HubEntry),
    /** Client-side policies (see docs/rpc.md), keyed like `resilienceInterceptor`'s config. */
    resilience: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    traffic: Type.Optional(
      Type.String({ description: 'module that drives sample calls while the system runs' }),
    ),
    gateway: Type.Optional(GatewayEntry),
    load: Type.Optional(
      Type.String({ description: 'module describing the request mix `switchyard load` sends' }),
    ),
  },
  { additionalProperties: false },
);

export type Manifest = Static<typeof ManifestSchema> & {
  file: string;
  dir: string;
  /** `file:line` of a key (e.g. `['hub', 'port']`), for reasons found after reading; `file` when unknown. */
  at?: (path: readonly string[]) => string;
};

/** A manifest problem, reported as `file:line: reason` before anything starts. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

export function readManifest(path: string): Manifest {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ManifestError(`${path}: cannot read the manifest`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const at = (offset: number | undefined) =>
    `${path}:${offset === undefined ? 1 : lines.linePos(offset).line}`;
  if (doc.errors.length > 0)
    throw new ManifestError(`${at(doc.errors[0]!.pos[0])}: ${doc.errors[0]!.message}`);
  const value: unknown = doc.toJS();
  const check = validator<Static<typeof ManifestSchema>>(ManifestSchema);
  if (!check.check(value)) {
    const v = check.violations(value, 1)[0]!;
    const segments = v.path.split('/').filter(Boolean);
    const node = doc.getIn(segments, true) as { range?: [number, number] } | undefined;
    // For an unexpected property TypeBox's path ends at the offending key; point at that key's line.
    const unknown = v.rule === 'additionalProperties' ? segments[segments.length - 1] : undefined;
    const keyLine =
      unknown === undefined ? undefined : findKeyOffset(doc.getIn(segments.slice(0, -1), true), unknown);
    const reason =
      unknown === undefined ? `${v.path}: ${v.message}` : `unknown key ${JSON.stringify(unknown)}`;
    throw new ManifestError(`${at(keyLine ?? node?.range?.[0])}: ${reason}`);
  }
  const locate = (segments: readonly string[]) => {
    const key = findKeyOffset(doc.getIn(segments.slice(0, -1), true), segments[segments.length - 1] ?? '');
    return key === undefined ? path : at(key);
  };
  return { ...value, file, dir: dirname(file), at: locate };
}

function findKeyOffset(map: unknown, key: string): number | undefined {
  if (!isMap(map)) return undefined;
  const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
  return isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
}

/**
 * The broker URL of a system: `SWITCHYARD_BROKER` (to run the same manifest on another engine), else
 * the manifest's `broker`, else the embedded broker in `.switchyard/broker.db` beside the manifest.
 */
export function brokerUrlOf(manifest: Manifest, env: NodeJS.ProcessEnv = process.env): string {
  const url = env.SWITCHYARD_BROKER || manifest.broker || 'embedded';
  if (url === 'embedded')
    return withDurability(manifest, `embedded:${resolve(manifest.dir, '.switchyard', 'broker.db')}`);
  if (url.startsWith('embedded:') || url.startsWith('sqlite:')) {
    const [scheme, path] = [url.slice(0, url.indexOf(':')), url.slice(url.indexOf(':') + 1)];
    return withDurability(manifest, `${scheme}:${resolve(manifest.dir, path)}`);
  }
  return url;
}

/**
 * Where a service keeps its data: the manifest entry's `database`, else `SWITCHYARD_DATABASE` (a
 * PostgreSQL URL every service shares, each in a schema of its own), else a SQLite file of its own
 * beside the manifest. The schema is the service's name, after `SWITCHYARD_DATABASE_PREFIX` when set.
 */
export function databaseOf(
  manifest: Manifest,
  entry: string,
  env: NodeJS.ProcessEnv = process.env,
  service = entry,
): { url: string; schema: string } {
  // Named after the service (its contract), so more entries of one service, a canary say, share it.
  const schema = `${env.SWITCHYARD_DATABASE_PREFIX ?? ''}${service}`.replaceAll('-', '_');
  const url = manifest.services[entry]?.database ?? env.SWITCHYARD_DATABASE;
  if (!url)
    return {
      url: withDurability(manifest, `sqlite:${resolve(manifest.dir, '.switchyard', `${service}.db`)}`),
      schema,
    };
  if (url.startsWith('sqlite:'))
    return { url: withDurability(manifest, `sqlite:${resolve(manifest.dir, url.slice(7))}`), schema };
  return { url, schema };
}

/** A SQLite file's URL with the manifest's `durability`, unless the URL states its own. */
function withDurability(manifest: Manifest, url: string): string {
  return manifest.durability && !url.includes('?') ? `${url}?durability=${manifest.durability}` : url;
}

/**
 * The hub's registry backend as `switchyard hub` arguments: `SWITCHYARD_REGISTRY` (to run the same
 * manifest on etcd) else the manifest's `hub.registry`; `SWITCHYARD_REGISTRY_PREFIX` keeps the keys
 * of one system apart from another's on a shared etcd.
 */
export function registryArgsOf(manifest: Manifest, env: NodeJS.ProcessEnv = process.env): string[] {
  const registry = env.SWITCHYARD_REGISTRY || manifest.hub?.registry || 'sqlite';
  if (registry === 'sqlite') return [];
  if (!registry.startsWith('etcd://'))
    throw new ManifestError(`registry must be sqlite or etcd://host:port, not ${registry}`);
  const endpoints = registry
    .slice('etcd://'.length)
    .split(',')
    .map((host) => `http://${host.trim()}`);
  const prefix = env.SWITCHYARD_REGISTRY_PREFIX;
  return ['--backend', 'etcd', '--etcd', endpoints.join(','), ...(prefix ? ['--etcd-prefix', prefix] : [])];
}
