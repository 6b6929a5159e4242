/**
 * The closed set of change kinds `diffContracts` reports. A kind's id never changes meaning: CI
 * scripts and docs branch on it. Each kind has one class, and the class alone decides the bump:
 * breaking → major, non-breaking → minor, patch → patch.
 *
 * Requests and responses are judged asymmetrically (as oasdiff and Confluent's BACKWARD/FORWARD
 * modes do): a request schema may accept more but not less, a response schema may promise less
 * variety but not more. "Request" covers what clients send to the owner (operation input, command
 * payload); "response" covers what the owner sends and others read (operation output, command
 * reply, event payload — consumers of an event are readers like clients of a response).
 */
export type ChangeClass = 'breaking' | 'non-breaking' | 'patch';

export interface ChangeKindInfo {
  readonly class: ChangeClass;
  readonly description: string;
}

export const changeKinds = {
  // The contract itself.
  'contract-renamed': {
    class: 'breaking',
    description: 'The contract name changed, so it is a different service.',
  },
  'proto-package-changed': {
    class: 'breaking',
    description: 'The protobuf package changed: every gRPC method and message name moves.',
  },
  'description-changed': {
    class: 'patch',
    description: 'A description, title, example or comment changed; documentation only.',
  },
  'deprecated-added': { class: 'non-breaking', description: 'Something was deprecated.' },
  'deprecated-removed': { class: 'non-breaking', description: 'A deprecation was withdrawn.' },
  'deprecation-changed': {
    class: 'non-breaking',
    description: 'The since, sunset, link or message of a deprecation changed.',
  },

  // Operations.
  'operation-added': { class: 'non-breaking', description: 'An operation was added.' },
  'operation-removed': {
    class: 'breaking',
    description: 'An operation was removed (or renamed) before its sunset date.',
  },
  'operation-removed-after-sunset': {
    class: 'non-breaking',
    description: 'A deprecated operation was removed after its sunset date, as announced.',
  },
  'http-method-changed': { class: 'breaking', description: 'The HTTP method of an operation changed.' },
  'http-path-changed': {
    class: 'breaking',
    description: 'The HTTP path of an operation changed (renaming a :param alone is not a change).',
  },
  'idempotency-removed': {
    class: 'breaking',
    description: 'An operation is no longer idempotent; clients that retry it may now apply it twice.',
  },
  'idempotency-added': {
    class: 'non-breaking',
    description: 'An operation became idempotent (safe to retry).',
  },
  'error-code-added': {
    class: 'non-breaking',
    description:
      'An operation declares a new error code. Not breaking: every failure already carries one of ' +
      'the closed set of codes every client knows, and clients must handle codes they did not expect.',
  },
  'error-code-removed': {
    class: 'non-breaking',
    description: 'An operation no longer declares an error code.',
  },

  // Commands and events.
  'command-added': { class: 'non-breaking', description: 'A command was added.' },
  'command-removed': {
    class: 'breaking',
    description: 'A command was removed (or renamed) before its sunset date.',
  },
  'command-removed-after-sunset': {
    class: 'non-breaking',
    description: 'A deprecated command was removed after its sunset date.',
  },
  'reply-added': {
    class: 'breaking',
    description: 'A one-way command now has a reply; the interaction pattern changed for senders.',
  },
  'reply-removed': {
    class: 'breaking',
    description: 'A command no longer replies; senders waiting for the reply would wait forever.',
  },
  'event-added': { class: 'non-breaking', description: 'An event was added.' },
  'event-removed': {
    class: 'breaking',
    description: 'An event was removed (or renamed) before its sunset date.',
  },
  'event-removed-after-sunset': {
    class: 'non-breaking',
    description: 'A deprecated event was removed after its sunset date.',
  },
  'channel-changed': {
    class: 'breaking',
    description: 'A command or event moved to another channel; existing subscribers stop receiving it.',
  },
  'partition-key-changed': {
    class: 'breaking',
    description: 'The partition key was added, removed or changed; which messages keep their order changed.',
  },
  'channel-added': { class: 'non-breaking', description: 'A channel is used for the first time.' },
  'channel-removed': {
    class: 'breaking',
    description: 'No command or event uses a channel any more; its subscribers receive nothing.',
  },
  'channel-removed-after-sunset': {
    class: 'non-breaking',
    description: 'A channel went away because everything on it was removed after its sunset date.',
  },

  // Protobuf field numbers (the gRPC wire format).
  'proto-field-number-changed': {
    class: 'breaking',
    description: 'A field of a protobuf message has a different number; old peers decode garbage.',
  },
  'proto-field-number-reused': {
    class: 'breaking',
    description: 'A new field took a number that an old or removed field used.',
  },

  // Schemas of requests: operation input, command payload.
  'request-field-required-added': {
    class: 'breaking',
    description: 'A required request field was added; existing clients do not send it.',
  },
  'request-field-optional-added': {
    class: 'non-breaking',
    description: 'An optional request field was added.',
  },
  'request-field-removed': {
    class: 'breaking',
    description: 'A request field was removed (or renamed); what clients send is ignored or rejected.',
  },
  'request-field-became-required': {
    class: 'breaking',
    description: 'An optional request field became required.',
  },
  'request-field-became-optional': {
    class: 'non-breaking',
    description: 'A required request field became optional.',
  },
  'request-type-changed': { class: 'breaking', description: 'The type of a request value changed.' },
  'request-constraint-narrowed': {
    class: 'breaking',
    description: 'A request constraint accepts less (shorter maxLength, higher minimum, pattern added, …).',
  },
  'request-constraint-widened': {
    class: 'non-breaking',
    description: 'A request constraint accepts more (longer maxLength, lower minimum, pattern removed, …).',
  },
  'request-constraint-changed': {
    class: 'breaking',
    description:
      'A request constraint changed in a way that is neither wider nor narrower (another pattern).',
  },
  'request-enum-value-added': { class: 'non-breaking', description: 'A request accepts a new enum value.' },
  'request-enum-value-removed': {
    class: 'breaking',
    description: 'A request no longer accepts an enum value.',
  },
  'request-nullable-added': { class: 'non-breaking', description: 'A request value now accepts null.' },
  'request-nullable-removed': { class: 'breaking', description: 'A request value no longer accepts null.' },
  'request-default-changed': {
    class: 'breaking',
    description: 'The default of a request value changed; clients that omit it get different behaviour.',
  },
  'request-schema-changed': {
    class: 'breaking',
    description:
      'A request schema changed in a way the checker does not understand (judged breaking to be safe).',
  },

  // Schemas of responses: operation output, command reply, event payload.
  'response-field-added': { class: 'non-breaking', description: 'A response field was added.' },
  'response-field-removed': {
    class: 'breaking',
    description: 'A response field was removed (or renamed); readers that use it break.',
  },
  'response-field-became-required': {
    class: 'non-breaking',
    description: 'An optional response field is now always present.',
  },
  'response-field-became-optional': {
    class: 'breaking',
    description: 'A response field that was always present may now be missing.',
  },
  'response-type-changed': { class: 'breaking', description: 'The type of a response value changed.' },
  'response-constraint-narrowed': {
    class: 'non-breaking',
    description: 'A response promises values from a smaller range than before.',
  },
  'response-constraint-widened': {
    class: 'breaking',
    description: 'A response may hold values outside what it promised (longer strings, larger numbers, …).',
  },
  'response-constraint-changed': {
    class: 'breaking',
    description: 'A response constraint changed in a way that is neither wider nor narrower.',
  },
  'response-enum-value-added': {
    class: 'breaking',
    description: 'A response may hold a new enum value that readers do not handle.',
  },
  'response-enum-value-removed': {
    class: 'non-breaking',
    description: 'A response no longer holds an enum value.',
  },
  'response-nullable-added': { class: 'breaking', description: 'A response value may now be null.' },
  'response-nullable-removed': {
    class: 'non-breaking',
    description: 'A response value is never null any more.',
  },
  'response-default-changed': {
    class: 'patch',
    description: 'The documented default of a response value changed; readers see actual values.',
  },
  'response-schema-changed': {
    class: 'breaking',
    description:
      'A response schema changed in a way the checker does not understand (judged breaking to be safe).',
  },
} as const satisfies Record<string, ChangeKindInfo>;

export type ChangeKind = keyof typeof changeKinds;

export interface Change {
  /** Dotted path: `operations.createOrder.input.items[].quantity`; `[]` is an array item, `{}` a record value. */
  readonly location: string;
  readonly kind: ChangeKind;
  readonly class: ChangeClass;
  readonly message: string;
}

export function change(kind: ChangeKind, location: string, message: string): Change {
  return { location, kind, class: changeKinds[kind].class, message };
}
