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
  },
  { additionalProperties: false },
);

const HubEntry = Type.Object(
  {
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    dnsPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    domain: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

const ManifestSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    services: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]*$' }), ServiceEntry),
    hub: Type.Optional(HubEntry),
    /** Client-side policies (see docs/rpc.md), keyed like `resilienceInterceptor`'s config. */
    resilience: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    traffic: Type.Optional(
      Type.String({ description: 'module that drives sample calls while the system runs' }),
    ),
  },
  { additionalProperties: false },
);

export type Manifest = Static<typeof ManifestSchema> & { file: string; dir: string };

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
  return { ...value, file, dir: dirname(file) };
}

function findKeyOffset(map: unknown, key: string): number | undefined {
  if (!isMap(map)) return undefined;
  const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
  return isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
}
