import type { TObject } from '@sinclair/typebox';
import { commandChannel, eventChannel, messageType } from '../channels.js';
import type { AnyContract, Deprecation } from '../types.js';
import {
  capitalize,
  claimName,
  cleanSchema,
  deprecationNote,
  effectiveDeprecation,
  paragraphs,
  schemaComponents,
  sortedByKey,
  type JsonSchema,
  type SchemaComponents,
} from './json-schema.js';

export interface AsyncApiServer {
  host: string;
  protocol: string;
  pathname?: string;
  description?: string;
}

export interface AsyncApiOptions {
  /** Defaults to the contract name. */
  title?: string;
  servers?: Record<string, AsyncApiServer>;
}

export interface AsyncApiRef {
  $ref: string;
}

export interface AsyncApiMessage {
  name: string;
  description?: string;
  contentType: string;
  headers: JsonSchema;
  payload: JsonSchema;
  correlationId: AsyncApiRef;
  deprecated?: true;
  'x-sunset'?: string;
  'x-partition-key'?: string;
  'x-content-types': string[];
}

export interface AsyncApiChannel {
  /** `null`: the address is only known at runtime (a reply goes wherever the request's `replyto` says). */
  address: string | null;
  description: string;
  messages: Record<string, AsyncApiRef>;
}

export interface AsyncApiReply {
  address: { location: string; description: string };
  channel: AsyncApiRef;
  messages: AsyncApiRef[];
}

export interface AsyncApiOperation {
  action: 'send' | 'receive';
  channel: AsyncApiRef;
  summary: string;
  description?: string;
  messages: AsyncApiRef[];
  reply?: AsyncApiReply;
  'x-deprecated'?: true;
  'x-sunset'?: string;
}

export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: { title: string; version: string; description?: string };
  defaultContentType: 'application/json';
  servers?: Record<string, AsyncApiServer>;
  channels: Record<string, AsyncApiChannel>;
  operations: Record<string, AsyncApiOperation>;
  components: {
    schemas: Record<string, JsonSchema>;
    messages: Record<string, AsyncApiMessage>;
    correlationIds: Record<string, { location: string; description: string }>;
  };
}

const headersName = 'EnvelopeHeaders';
const replyLocation = '$message.header#/replyto';
/** The codec is chosen per message; `datacontenttype` says which one a message used. */
const contentTypes = ['application/json', 'application/msgpack'];

/**
 * AsyncAPI 3.0 for one contract's messaging, seen from the service itself: it receives its commands
 * (and sends their replies) and sends its events.
 */
export function exportAsyncApi(contract: AnyContract, options: AsyncApiOptions = {}): AsyncApiDocument {
  const components = schemaComponents({ reserved: [headersName] });
  const channels: Record<string, AsyncApiChannel> = {};
  const operations: Record<string, AsyncApiOperation> = {};
  const messages: Record<string, AsyncApiMessage> = {};
  const channelIds = new Map<string, string>();
  const taken = new Set<string>();

  const channelFor = (address: string, description: string): string => {
    let id = channelIds.get(address);
    if (id === undefined) {
      id = claimName(taken, address.replace(/[^A-Za-z0-9._-]/g, '_'));
      channelIds.set(address, id);
      channels[id] = { address, description, messages: {} };
    }
    return id;
  };
  // Operations must point at the channel's copy of a message, not at the component itself.
  const addMessage = (channelId: string, key: string, message: AsyncApiMessage): AsyncApiRef => {
    messages[key] = message;
    channels[channelId]!.messages[key] = { $ref: `#/components/messages/${key}` };
    return { $ref: `#/channels/${channelId}/messages/${key}` };
  };
  const build = (spec: Omit<MessageSpec, 'components'>) => toMessage({ ...spec, components });

  for (const [name, cmd] of Object.entries(contract.commands)) {
    const deprecation = effectiveDeprecation(contract, cmd.deprecated);
    const channelId = channelFor(commandChannel(contract, name), `Commands to the ${contract.name} service.`);
    const ref = addMessage(
      channelId,
      name,
      build({ name, def: cmd, deprecation, type: messageType(contract, name) }),
    );
    let reply: AsyncApiReply | undefined;
    if (cmd.reply) {
      const replyId = claimName(taken, `${name}.replies`);
      channels[replyId] = {
        address: null,
        description: `Replies to ${name}: sent to whatever address the command's \`replyto\` attribute names.`,
        messages: {},
      };
      const replyKey = `${name}.reply`;
      reply = {
        address: { location: replyLocation, description: 'The address the requester asked for' },
        channel: { $ref: `#/channels/${replyId}` },
        messages: [
          addMessage(replyId, replyKey, build({ name: replyKey, def: { payload: cmd.reply }, deprecation })),
        ],
      };
    }
    operations[`receive${capitalize(name)}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${channelId}` },
      summary: `Handles the ${name} command${reply ? ' and replies' : ''}.`,
      ...described(cmd.description, deprecation),
      messages: [ref],
      ...(reply ? { reply } : {}),
      ...operationDeprecation(deprecation),
    };
  }

  for (const [name, evt] of Object.entries(contract.events)) {
    const deprecation = effectiveDeprecation(contract, evt.deprecated);
    const channelId = channelFor(eventChannel(contract, name), `Events of the ${contract.name} service.`);
    const ref = addMessage(
      channelId,
      name,
      build({ name, def: evt, deprecation, type: messageType(contract, name) }),
    );
    operations[`send${capitalize(name)}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${channelId}` },
      summary: `Publishes the ${name} event.`,
      ...described(evt.description, deprecation),
      messages: [ref],
      ...operationDeprecation(deprecation),
    };
  }

  const description = paragraphs(
    contract.description,
    contract.deprecated && deprecationNote(contract.deprecated),
  );
  const schemas: Record<string, JsonSchema> = { ...components.schemas, [headersName]: envelopeHeaders() };
  return {
    asyncapi: '3.0.0',
    info: {
      title: options.title ?? contract.name,
      version: contract.version,
      ...(description ? { description } : {}),
    },
    defaultContentType: 'application/json',
    ...(options.servers ? { servers: options.servers } : {}),
    channels,
    operations,
    components: {
      schemas: sortedByKey(schemas),
      messages,
      correlationIds: {
        correlationid: {
          location: '$message.header#/correlationid',
          description: 'Shared by a request, its reply and every message they cause',
        },
      },
    },
  };
}

interface MessageSpec {
  components: SchemaComponents;
  name: string;
  def: { payload: TObject; description?: string; partitionKey?: string };
  deprecation: Deprecation | undefined;
  /** CloudEvents `type`, pinned in the headers schema where the runtime fixes it (not for replies). */
  type?: string;
}

function toMessage(spec: MessageSpec): AsyncApiMessage {
  const headersRef = { $ref: `${spec.components.refBase}${headersName}` };
  return {
    name: spec.name,
    ...described(spec.def.description, spec.deprecation),
    contentType: 'application/json',
    headers: spec.type
      ? { type: 'object', allOf: [headersRef], properties: { type: { const: spec.type } } }
      : headersRef,
    payload: cleanSchema(spec.def.payload, { components: spec.components }),
    correlationId: { $ref: '#/components/correlationIds/correlationid' },
    // The 3.0 JSON Schema of a message accepts `deprecated` (the prose omits it); operations have no such field.
    ...(spec.deprecation ? { deprecated: true as const } : {}),
    ...(spec.deprecation?.sunset ? { 'x-sunset': spec.deprecation.sunset } : {}),
    ...(spec.def.partitionKey ? { 'x-partition-key': spec.def.partitionKey } : {}),
    'x-content-types': contentTypes,
  };
}

function described(text: string | undefined, deprecation: Deprecation | undefined): { description?: string } {
  const description = paragraphs(text, deprecation && deprecationNote(deprecation));
  return description ? { description } : {};
}

function operationDeprecation(
  deprecation: Deprecation | undefined,
): Pick<AsyncApiOperation, 'x-deprecated' | 'x-sunset'> {
  if (!deprecation) return {};
  return { 'x-deprecated': true, ...(deprecation.sunset ? { 'x-sunset': deprecation.sunset } : {}) };
}

/** CloudEvents 1.0 context attributes plus ours, as documented in src/envelope/envelope.ts. */
function envelopeHeaders(): JsonSchema {
  const text = (description: string) => ({ type: 'string', description });
  return {
    type: 'object',
    description:
      'CloudEvents 1.0 context attributes and Switchyard extensions. In binary content mode each travels as a ' +
      'transport header named `ce-<attribute>`; the deadline travels as the time remaining (`ce-timeout`, ms).',
    required: ['specversion', 'id', 'source', 'type', 'time', 'datacontenttype'],
    properties: {
      specversion: { type: 'string', const: '1.0' },
      id: text('Unique per message; with source, the key for deduplication'),
      source: { type: 'string', format: 'uri-reference', description: 'The sending service' },
      type: text('`<service>.<message>`'),
      time: { type: 'string', format: 'date-time' },
      datacontenttype: { type: 'string', examples: contentTypes },
      subject: text('What the message is about, when not the payload itself'),
      correlationid: text('Shared by a request, its reply and every message they cause'),
      causationid: text('The id of the message that caused this one'),
      replyto: text('Where the reply goes (commands with a reply)'),
      partitionkey: text('Messages with the same key go to the same partition, in order'),
      traceparent: {
        type: 'string',
        pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
        description: 'W3C trace context',
      },
      tracestate: text('W3C trace context, vendor part'),
      deadline: { type: 'integer', description: 'When the sender stops waiting, epoch milliseconds' },
      attempt: {
        type: 'integer',
        minimum: 1,
        description: '1 on first delivery, incremented on each redelivery',
      },
    },
  };
}
