import { command, contract, Type } from '../../src/contract/index.js';

/**
 * The chaos workload's one command: step `seq` of `key`, partitioned by key. `fail` marks the few
 * messages whose handler always throws, so they, and only they, must end in the dead-letter channel.
 */
export function chaosContract(name: string) {
  return contract({
    name,
    version: '1.0.0',
    commands: {
      step: command({
        payload: Type.Object({
          key: Type.String(),
          seq: Type.Integer({ minimum: 0 }),
          fail: Type.Optional(Type.Boolean()),
        }),
        partitionKey: 'key',
      }),
    },
  });
}

export type ChaosContract = ReturnType<typeof chaosContract>;

/** The group every consumer process joins. */
export const chaosGroup = 'chaos-workers';

/** What is published: `keys` × `perKey` commands, and which of them are marked to fail. */
export interface Plan {
  readonly keys: number;
  readonly perKey: number;
  readonly partitions: number;
  /** `key:seq` of the messages whose handler throws. */
  readonly marked: readonly string[];
}

export const keyName = (k: number): string => `k${k}`;

/**
 * About one message in 10 000 is marked to fail (at least one), spread over keys and sequence
 * numbers by fixed strides, so the same plan comes out of the same counts.
 */
export function planFor(messages: number, partitions: number): Plan {
  const keys = Math.min(1_000, Math.max(1, Math.floor(messages / 10)));
  const perKey = Math.max(1, Math.floor(messages / keys));
  const want = Math.max(1, Math.floor((keys * perKey) / 10_000));
  const marked = new Set<string>();
  for (let i = 0; marked.size < want; i++)
    marked.add(`${keyName((i * 97 + 13) % keys)}:${(i * 31 + 7) % perKey}`);
  return { keys, perKey, partitions, marked: [...marked] };
}
