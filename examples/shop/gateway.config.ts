import { fileURLToPath } from 'node:url';
import { defineGateway } from 'switchyard/gateway';
import { KitchenContract } from './contracts/kitchen.js';
import { NotificationsContract } from './contracts/notifications.js';
import { OrdersContract, OrdersV1Contract } from './contracts/orders.js';
import ordersV1Adapter from './contracts/orders-v1-adapter.js';
import { RestaurantsContract } from './contracts/restaurants.js';
import { devJwtConfig } from './auth/dev-tokens.js';

/** Orders a client may create per second (SHOP_ORDER_RATE, for load tests), after a burst as large. */
const createLimit = {
  limit: Number(process.env.SHOP_ORDER_RATE ?? 50),
  windowMs: 1_000,
  by: 'client' as const,
};

const embedded = `embedded:${fileURLToPath(new URL('./.switchyard/broker.db', import.meta.url))}`;

/**
 * The shop's public API. `switchyard up` runs the gateway with this file and tells it where the hub
 * and the broker are (SWITCHYARD_HUB_URL, SWITCHYARD_BROKER); run alone, it assumes the defaults.
 */
export default defineGateway({
  contracts: [OrdersContract, OrdersV1Contract, KitchenContract, NotificationsContract, RestaurantsContract],
  // /v1/orders keeps working, served by the v2 service, with Deprecation and Sunset headers.
  versions: [{ adapter: ordersV1Adapter }],
  discovery: { hub: process.env.SWITCHYARD_HUB_URL ?? 'http://127.0.0.1:7070' },
  messaging: {
    broker: process.env.SWITCHYARD_BROKER ?? embedded,
    ...(process.env.SWITCHYARD_BROKER_PREFIX ? { prefix: process.env.SWITCHYARD_BROKER_PREFIX } : {}),
    service: 'gateway',
  },
  auth: { jwt: await devJwtConfig() },
  rateLimit: process.env.SWITCHYARD_REDIS_URL
    ? {
        store: 'redis',
        redis: {
          url: process.env.SWITCHYARD_REDIS_URL,
          prefix: process.env.SWITCHYARD_REDIS_PREFIX ?? 'shop-gateway',
        },
      }
    : { store: 'memory' },
  accessLog: false,
  flags: { file: './flags.yaml' },
  // Every route needs a token; orders created are limited per client (the token's azp, else its subject).
  policies: { auth: true, timeoutMs: 5_000 },
  routes: [
    ...['orders@2.createOrder', 'orders@1.createOrder'].map((operation) => ({
      operation,
      policies: {
        auth: { scopes: ['orders:write'] },
        rateLimit: createLimit,
        canary: { flag: 'orders-canary', labels: { track: 'canary' } },
      },
    })),
    { operation: 'restaurants@1.reviseMenu', policies: { auth: { roles: ['restaurant', 'admin'] } } },
    {
      // A consumer's own order events as they happen (server-sent events or WebSocket).
      name: 'my-order-events',
      match: { path: '/v1/streams/orders', methods: ['GET'] },
      events: {
        contract: 'orders@2',
        owner: { field: 'consumerId', identity: 'subject' },
        allRoles: ['admin'],
      },
    },
  ],
});
