import { Type, type Static } from '@sinclair/typebox';

/** The route part of a gateway configuration: matching, policies and what a route does. */
export const Positive = Type.Integer({ minimum: 1 });
export const Method = Type.Union(
  ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].map((m) => Type.Literal(m)),
);
export const Names = Type.Array(Type.String({ minLength: 1 }));
/** `orders@1.getOrder`: a contract name, its major version and one operation. */
const OperationRef = Type.String({ pattern: '^[a-z][a-z0-9-]*@\\d+\\.[a-zA-Z][a-zA-Z0-9]*$' });
/** `orders@1`. */
export const ContractRef = Type.String({ pattern: '^[a-z][a-z0-9-]*@\\d+$' });
export const strict = { additionalProperties: false } as const;

const HeaderCondition = Type.Union([
  Type.String(),
  Type.Object(
    {
      equals: Type.Optional(Type.String()),
      matches: Type.Optional(Type.String({ description: 'a regular expression' })),
      present: Type.Optional(Type.Boolean()),
    },
    strict,
  ),
]);

const Match = Type.Object(
  {
    /** `/catalog/:id`; a last segment `*` matches the rest of the path (a prefix route). */
    path: Type.Optional(Type.String({ pattern: '^/' })),
    methods: Type.Optional(Type.Array(Method, { minItems: 1 })),
    /** Exact host names or `*.example.com`; the port is ignored. */
    host: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Names])),
    headers: Type.Optional(Type.Record(Type.String({ minLength: 1 }), HeaderCondition)),
  },
  strict,
);

const RateLimitRule = Type.Object(
  {
    limit: Positive,
    windowMs: Positive,
    burst: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Whose requests share the limit: the caller (API key, token subject, else IP; the default) or the IP. */
    by: Type.Optional(Type.Union([Type.Literal('client'), Type.Literal('ip')])),
  },
  strict,
);

const Canary = Type.Object(
  {
    /** A flag evaluated per request (stable per caller); the canary upstream serves when it is on. */
    flag: Type.String({ minLength: 1 }),
    /** The variant that means "canary" for a variant flag; `true` for a boolean flag (the default). */
    variant: Type.Optional(Type.Union([Type.String(), Type.Boolean()])),
    /** Which instances are the canary: an exact version and/or labels they carry. */
    version: Type.Optional(Type.String({ minLength: 1 })),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  strict,
);

export const PoliciesSchema = Type.Object(
  {
    /** Check the request against the contract before it reaches a service (contract routes; default true). */
    validate: Type.Optional(Type.Boolean()),
    /** Deadline of the whole request, retries included; sent upstream as the call's deadline. */
    timeoutMs: Type.Optional(Positive),
    bodyBytes: Type.Optional(Positive),
    /** `true`: any authenticated caller; an object: these scopes and roles too; `false`: public. */
    auth: Type.Optional(
      Type.Union([
        Type.Boolean(),
        Type.Object({ scopes: Type.Optional(Names), roles: Type.Optional(Names) }, strict),
      ]),
    ),
    rateLimit: Type.Optional(Type.Union([Type.Literal(false), RateLimitRule])),
    canary: Type.Optional(Canary),
  },
  strict,
);

const ComposePart = Type.Object(
  {
    operation: OperationRef,
    /** The part's input; a string `$path.x`, `$query.x`, `$body.x`, `$body`, `$header.x` or `$identity.x` is read from the request. */
    input: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** A failed optional part is left out of the answer and named in `_partial`. */
    optional: Type.Optional(Type.Boolean()),
    /** Answered instead when the part fails (marks it as a fallback in `_partial`). */
    fallback: Type.Optional(Type.Unknown()),
    timeoutMs: Type.Optional(Positive),
  },
  strict,
);

export const Route = Type.Object(
  {
    /** Names a route in logs and metrics; required for routes that are not a contract operation's. */
    name: Type.Optional(Type.String({ pattern: '^[a-zA-Z0-9][a-zA-Z0-9._:-]*$' })),
    /** A contract operation: these policies (and any match conditions) apply to its route; with a `match.path`, an extra path for it. */
    operation: Type.Optional(OperationRef),
    /** Every operation of a contract version. */
    contract: Type.Optional(ContractRef),
    /** `false` takes a contract operation off the gateway. */
    expose: Type.Optional(Type.Boolean()),
    match: Type.Optional(Match),
    proxy: Type.Optional(
      Type.Object(
        {
          /** A service found through discovery (any version unless `major`). */
          service: Type.Optional(Type.String({ minLength: 1 })),
          major: Type.Optional(Type.Integer({ minimum: 0 })),
          /** A fixed origin, `http://host:port`. */
          url: Type.Optional(Type.String({ pattern: '^https?://' })),
          /** Replaces the literal prefix the route matched (the part before `*`). */
          rewrite: Type.Optional(Type.String({ pattern: '^/' })),
          /** Whether retries may repeat requests of every method, not only the idempotent ones (GET, HEAD, PUT, DELETE, OPTIONS). */
          idempotent: Type.Optional(Type.Boolean()),
        },
        strict,
      ),
    ),
    compose: Type.Optional(
      Type.Object(
        { parts: Type.Record(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]*$' }), ComposePart) },
        strict,
      ),
    ),
    command: Type.Optional(
      Type.Object(
        {
          contract: ContractRef,
          command: Type.String({ minLength: 1 }),
          /** Longest `Prefer: wait=N` honoured, in seconds (default 30). */
          maxWaitSeconds: Type.Optional(Positive),
        },
        strict,
      ),
    ),
    events: Type.Optional(
      Type.Object(
        {
          contract: ContractRef,
          /** Events streamed; every event of the contract by default. */
          events: Type.Optional(Names),
          /** Only events whose payload field equals the caller's identity attribute (e.g. consumerId = subject). */
          owner: Type.Optional(
            Type.Object(
              {
                field: Type.String({ minLength: 1 }),
                identity: Type.Optional(Type.Union([Type.Literal('subject'), Type.Literal('clientId')])),
              },
              strict,
            ),
          ),
          /** Roles that see every event, whoever owns it. */
          allRoles: Type.Optional(Names),
          /** Events kept for clients that reconnect with Last-Event-ID (default 1000; 0 keeps none). */
          replayEvents: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
        },
        strict,
      ),
    ),
    policies: Type.Optional(PoliciesSchema),
  },
  strict,
);

export type RouteSpec = Static<typeof Route>;
export type MatchSpec = Static<typeof Match>;
export type PoliciesSpec = Static<typeof PoliciesSchema>;
export type RateLimitSpec = Static<typeof RateLimitRule>;
export type CanarySpec = Static<typeof Canary>;
export type ComposePartSpec = Static<typeof ComposePart>;
export type HeaderConditionSpec = Static<typeof HeaderCondition>;
