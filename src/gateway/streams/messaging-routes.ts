import { hostname } from 'node:os';
import type { AnyContract } from '../../contract/index.js';
import { connectBroker, createMessaging, type BrokerAdapter, type Messaging } from '../../messaging/index.js';
import { configError } from '../config/errors.js';
import type { MessagingSpec, RouteSpec } from '../config/schema.js';
import type { Engines } from '../engines.js';
import type { GatewayRoute } from '../route.js';
import type { BuildContext } from '../routes/context.js';
import type { MessagingRoutes } from '../routes/config-routes.js';
import { mergePolicies } from '../routes/policies.js';
import { commandRoute, operationStatusRoute } from './commands.js';
import { eventStreamRoute } from './event-stream.js';
import { eventFeed, type EventFeed } from './feed.js';
import { memoryOperationStore, type OperationStore } from './operations.js';
import { redisOperationStore } from './operations-redis.js';

interface Bus {
  readonly broker: BrokerAdapter;
  readonly messaging: Messaging;
  readonly operations: OperationStore;
}

/**
 * The routes that go through the broker: commands (with their operation-status resource) and event
 * streams. The bus and each stream's subscription are engines: a reload that keeps the messaging
 * section keeps the connections, the pending operations and the subscriptions.
 */
export async function messagingRoutes(
  b: BuildContext,
  engines: Engines,
  user: object,
): Promise<{ routes: MessagingRoutes; extra: GatewayRoute[] }> {
  const spec: MessagingSpec = b.config.data.messaging!;
  const seconds = spec.operationSeconds ?? 600;
  if (spec.operations?.store === 'redis' && !spec.operations.redis)
    configError(b.config.locate, ['messaging', 'operations'], 'the redis store needs redis.url');
  const bus = await engines.acquire(
    user,
    'messaging',
    spec,
    (): Bus => {
      const broker = connectBroker(spec.broker, spec.prefix === undefined ? {} : { prefix: spec.prefix });
      const messaging = createMessaging({ broker, service: spec.service ?? 'gateway' });
      return { broker, messaging, operations: operationStore(spec, seconds * 1000) };
    },
    async ({ broker, messaging, operations }: Bus) => {
      await messaging.close();
      await broker.close();
      await operations.close();
    },
  );
  const instance = spec.instance ?? hostname().replace(/[^a-zA-Z0-9_-]/g, '-');
  const specs = b.config.data.routes ?? [];

  // Subscriptions start before routes are built, so a stream route is ready when it is served.
  const feeds = new Map<number, EventFeed>();
  for (const [index, route] of specs.entries()) {
    if (!route.events) continue;
    const at = ['routes', index, 'events'];
    const contract = served(b, route.events.contract, at);
    const events = route.events.events ?? Object.keys(contract.events);
    for (const event of events)
      if (!contract.events[event])
        configError(b.config.locate, at, `${route.events.contract} has no event ${event}`);
    if (events.length === 0) configError(b.config.locate, at, `${route.events.contract} has no events`);
    const group = `${spec.service ?? 'gateway'}.${instance}.${route.name ?? index}`;
    const { replayEvents } = route.events;
    feeds.set(
      index,
      await engines.acquire(
        user,
        'feed',
        { spec, contract: route.events.contract, events, group, replayEvents },
        () => eventFeed({ messaging: bus.messaging, contract, events, group, replayEvents }),
        (feed: EventFeed) => feed.close(),
      ),
    );
  }

  const operationsPath = spec.operationsPath ?? '/operations';
  const routes: MessagingRoutes = (route: RouteSpec, at: (string | number)[]) => {
    const index = at[1] as number;
    if (route.events) {
      const visibility = {
        ...(route.events.owner ? { owner: route.events.owner } : {}),
        ...(route.events.allRoles ? { allRoles: route.events.allRoles } : {}),
      };
      return eventStreamRoute({ feed: feeds.get(index)!, visibility });
    }
    const command = route.command!;
    const contract = served(b, command.contract, [...at, 'command', 'contract']);
    if (!contract.commands[command.command])
      configError(
        b.config.locate,
        [...at, 'command', 'command'],
        `${command.contract} has no command ${command.command}`,
      );
    return commandRoute({
      messaging: bus.messaging,
      operations: bus.operations,
      contract,
      command: command.command,
      operationsPath,
      maxWaitSeconds: command.maxWaitSeconds ?? 30,
      requestTimeoutMs: seconds * 1000,
    });
  };

  const extra: GatewayRoute[] = specs.some((route) => route.command)
    ? [
        {
          id: 'operations',
          template: `${operationsPath}/:id`,
          methods: new Set(['GET']),
          host: undefined,
          headers: undefined,
          policies: mergePolicies(b.bodyBytes, b.config.data.policies),
          deprecation: undefined,
          handle: operationStatusRoute(bus.operations),
        },
      ]
    : [];
  return { routes, extra };
}

function operationStore(spec: MessagingSpec, ttlMs: number): OperationStore {
  const redis = spec.operations?.redis;
  const store = spec.operations?.store ?? (redis ? 'redis' : 'memory');
  return store === 'redis' ? redisOperationStore({ ...redis!, ttlMs }) : memoryOperationStore({ ttlMs });
}

function served(b: BuildContext, ref: string, at: (string | number)[]): AnyContract {
  const found = b.config.contracts.find(({ contract }) => `${contract.name}@${contract.major}` === ref);
  if (!found) configError(b.config.locate, at, `no contract ${ref} is served: add it to contracts`);
  return found.contract;
}
