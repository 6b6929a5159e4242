import type { Io } from '../io.js';

export interface Command {
  run(args: string[], io: Io): Promise<number>;
}

/** Commands load lazily so `switchyard contract` does not load what `switchyard up` needs. */
export const commands = {
  contract: {
    summary: 'export | diff | release | check a contract',
    load: () => import('./contract.js') as Promise<Command>,
  },
  hub: {
    summary: 'run the service registry (HTTP API, health checks, DNS)',
    load: () => import('./hub.js') as Promise<Command>,
  },
  service: {
    summary: 'run one service of a manifest as its own process (what `up` starts)',
    load: () => import('./service.js') as Promise<Command>,
  },
  call: {
    summary: "call an operation of a registered service: call <service>.<op> '<json>'",
    load: () => import('./call.js') as Promise<Command>,
  },
  up: {
    summary: 'run the reference system (or a manifest) on this machine',
    load: () => import('./up.js') as Promise<Command>,
  },
} satisfies Record<string, { summary: string; load: () => Promise<Command> }>;

export type CommandName = keyof typeof commands;
