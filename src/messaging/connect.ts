import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SwitchyardError } from '../errors/index.js';
import type { BrokerAdapter } from './adapter.js';
import { fileAndDurability } from '../internal/wal-sync.js';
import { embeddedBroker } from './embedded/index.js';
import { jetStreamBroker } from './jetstream/index.js';
import { rabbitMqBroker } from './rabbitmq/index.js';
import { redisStreamsBroker } from './redis/index.js';

export interface ConnectOptions {
  /** First part of every engine object name (RabbitMQ, JetStream, Redis); the embedded broker has none. */
  readonly prefix?: string;
}

/** Where `switchyard` commands find the broker when neither `--broker` nor `SWITCHYARD_BROKER` names one. */
export const defaultEmbeddedFile = '.switchyard/broker.db';

/** `SWITCHYARD_BROKER`, else the embedded broker file under `.switchyard/` of the working directory. */
export function defaultBrokerUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.SWITCHYARD_BROKER || `embedded:${defaultEmbeddedFile}`;
}

const accepted =
  'embedded:<file>, sqlite:<file>, a file path, amqp://, amqps:// (RabbitMQ), nats:// (JetStream), redis://, rediss:// (Redis Streams)';

/**
 * A broker adapter for a URL, so tools and services name their broker in one string (an env var, a
 * flag). The adapters load their drivers on first use, so naming RabbitMQ never loads `nats`.
 *
 * - `embedded:<file>`, `sqlite:<file>` or a plain path: the embedded broker in that SQLite file
 *   (`embedded:` alone is `.switchyard/broker.db`); its folder is created if missing;
 *   `?durability=interval` fsyncs it every second rather than at every commit
 * - `amqp://…`, `amqps://…`: RabbitMQ
 * - `nats://…` (several servers separated by commas): NATS JetStream
 * - `redis://…`, `rediss://…`: Redis Streams
 */
export function connectBroker(url: string, options: ConnectOptions = {}): BrokerAdapter {
  const { prefix } = options;
  const scheme = schemeOf(url);
  switch (scheme) {
    case undefined:
    case 'embedded':
    case 'sqlite': {
      if (prefix !== undefined)
        throw new SwitchyardError(
          'INVALID_ARGUMENT',
          'The embedded broker has no prefix: each SQLite file is its own namespace',
          { details: { prefix } },
        );
      const { file: named, durability } = fileAndDurability(
        scheme === undefined ? url : url.slice(scheme.length + 1),
      );
      const file = scheme === undefined ? named : fileOf(named);
      mkdirSync(dirname(file), { recursive: true });
      return embeddedBroker({ file, ...(durability ? { durability } : {}) });
    }
    case 'amqp':
    case 'amqps':
      return rabbitMqBroker({ url, ...(prefix === undefined ? {} : { prefix }) });
    case 'nats': {
      const servers = url.split(',').map((s) => s.trim());
      return jetStreamBroker({ servers, ...(prefix === undefined ? {} : { prefix }) });
    }
    case 'redis':
    case 'rediss':
      return redisStreamsBroker({ url, ...(prefix === undefined ? {} : { prefix }) });
    default:
      throw new SwitchyardError(
        'INVALID_ARGUMENT',
        `Unsupported broker URL ${redactUrl(url)}: use ${accepted}`,
        { details: { scheme } },
      );
  }
}

/**
 * The scheme, lower-cased, or undefined for a path. A one-letter scheme is a Windows drive (`C:\…`),
 * so a path.
 */
function schemeOf(url: string): string | undefined {
  if (url.trim() === '')
    throw new SwitchyardError('INVALID_ARGUMENT', `A broker URL is empty: use ${accepted}`);
  const match = /^([a-z][a-z0-9+.-]+):/i.exec(url);
  return match ? match[1]!.toLowerCase() : undefined;
}

/** `embedded:x.db`, `embedded:///abs/x.db` and `embedded://x.db` all name a file; nothing names the default. */
function fileOf(rest: string): string {
  const path = rest.startsWith('//') ? rest.slice(2) : rest;
  return path === '' ? defaultEmbeddedFile : path;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
