import { Type, type Static } from '@sinclair/typebox';
import { ContractRef, Method, Names, PoliciesSchema, Positive, Route, strict } from './route-schema.js';

/**
 * The data part of a gateway configuration, as a YAML file writes it. A TypeScript configuration has
 * the same shape and may put contract objects and functions where YAML names modules.
 */
const Port = Type.Integer({ minimum: 0, maximum: 65_535 });

const StaticInstance = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object(
    {
      address: Type.String({ minLength: 1 }),
      version: Type.Optional(Type.String()),
      protocol: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('grpc')])),
      labels: Type.Optional(Type.Record(Type.String(), Type.String())),
      id: Type.Optional(Type.String()),
    },
    strict,
  ),
]);

const ContractEntry = Type.Object(
  {
    /** A module exporting contracts (every version it exports is served). */
    module: Type.String({ minLength: 1 }),
    /** Which versions of the module to serve: `orders@1`, `orders`. Everything by default. */
    only: Type.Optional(Names),
    /** How the gateway calls the services of these contracts (default http). */
    protocol: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('grpc')])),
  },
  strict,
);

const Version = Type.Object(
  {
    /** The old version served… */
    serve: ContractRef,
    /** …by the backends of the new one… */
    by: ContractRef,
    /** …through the adapter this module exports by default (a `versionAdapter(...)`). */
    adapter: Type.String({ minLength: 1 }),
  },
  strict,
);

/** State one gateway keeps in memory, or gateways share in Redis (`store` defaults to redis when `redis` is set). */
const SharedStore = Type.Object(
  {
    store: Type.Optional(Type.Union([Type.Literal('memory'), Type.Literal('redis')])),
    redis: Type.Optional(Type.Object({ url: Type.String(), prefix: Type.Optional(Type.String()) }, strict)),
  },
  strict,
);

export const GatewayFileSchema = Type.Object(
  {
    listen: Type.Optional(
      Type.Object({ port: Type.Optional(Port), host: Type.Optional(Type.String({ minLength: 1 })) }, strict),
    ),
    /** Health and metrics on their own listener; on the main port otherwise. */
    admin: Type.Optional(
      Type.Object({ port: Port, host: Type.Optional(Type.String({ minLength: 1 })) }, strict),
    ),
    contracts: Type.Optional(Type.Array(Type.Union([Type.String({ minLength: 1 }), ContractEntry]))),
    discovery: Type.Optional(
      Type.Object(
        {
          hub: Type.Optional(
            Type.Union([
              Type.String({ pattern: '^https?://' }),
              Type.Object(
                { url: Type.String({ pattern: '^https?://' }), token: Type.Optional(Type.String()) },
                strict,
              ),
            ]),
          ),
          static: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.Array(StaticInstance))),
        },
        strict,
      ),
    ),
    /** Client-side policies toward the services, keyed like the runtime's (see docs/rpc.md). */
    resilience: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    limits: Type.Optional(
      Type.Object(
        {
          bodyBytes: Type.Optional(Positive),
          headerBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
          headerCount: Type.Optional(Positive),
        },
        strict,
      ),
    ),
    timeouts: Type.Optional(
      Type.Object(
        {
          /** A client must send its headers within this (slowloris protection). */
          headersMs: Type.Optional(Positive),
          /** …and its whole request within this. */
          requestMs: Type.Optional(Positive),
          /** A kept-alive connection idle this long is closed. */
          idleMs: Type.Optional(Positive),
        },
        strict,
      ),
    ),
    cors: Type.Optional(
      Type.Union([
        Type.Literal(false),
        Type.Object(
          {
            origins: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
            methods: Type.Optional(Type.Array(Method)),
            headers: Type.Optional(Names),
            exposeHeaders: Type.Optional(Names),
            credentials: Type.Optional(Type.Boolean()),
            maxAgeSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
          },
          strict,
        ),
      ]),
    ),
    accessLog: Type.Optional(
      Type.Union([
        Type.Boolean(),
        Type.Object({ destination: Type.Optional(Type.String({ minLength: 1 })) }, strict),
      ]),
    ),
    /** Defaults of every route's policies. */
    policies: Type.Optional(PoliciesSchema),
    /** Passed to the authenticator as it is (see docs/gateway.md). */
    auth: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    rateLimit: Type.Optional(SharedStore),
    /** Where feature flags come from; passed to the flags module (a `file` is resolved next to this one). */
    flags: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** The broker commands and event streams go through. */
    messaging: Type.Optional(
      Type.Object(
        {
          /** A broker URL: `nats://…`, `amqp://…`, `redis://…`, `embedded:<file>`. */
          broker: Type.String({ minLength: 1 }),
          /** First part of every engine object name (not for the embedded broker). */
          prefix: Type.Optional(Type.String({ minLength: 1 })),
          /** The gateway's name as a sender (default `gateway`). */
          service: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]*$' })),
          /** Names this gateway's stream subscriptions; distinct per gateway (default: the host name). */
          instance: Type.Optional(Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9_-]*$' })),
          /** Where operation-status resources live (default `/operations`). */
          operationsPath: Type.Optional(Type.String({ pattern: '^/[^:*]*[^/]$' })),
          /** How long an accepted command's status is kept, and how long its reply is awaited (default 600). */
          operationSeconds: Type.Optional(Positive),
          /** Where statuses are kept: this gateway's memory (default), or Redis, shared by every gateway. */
          operations: Type.Optional(SharedStore),
        },
        strict,
      ),
    ),
    versions: Type.Optional(Type.Array(Version)),
    routes: Type.Optional(Type.Array(Route)),
  },
  strict,
);

export type GatewayFile = Static<typeof GatewayFileSchema>;
export type StaticInstanceSpec = Static<typeof StaticInstance>;
export type ContractEntrySpec = Static<typeof ContractEntry>;
export type VersionSpec = Static<typeof Version>;
export type MessagingSpec = NonNullable<GatewayFile['messaging']>;
export type {
  RouteSpec,
  MatchSpec,
  PoliciesSpec,
  RateLimitSpec,
  CanarySpec,
  ComposePartSpec,
  HeaderConditionSpec,
} from './route-schema.js';
