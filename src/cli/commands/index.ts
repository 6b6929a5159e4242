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
  relay: {
    summary: "move a service's outbox to the broker: relay <manifest> <service> (what `up` starts)",
    load: () => import('./relay.js') as Promise<Command>,
  },
  call: {
    summary: "call an operation of a registered service: call <service>.<op> '<json>'",
    load: () => import('./call.js') as Promise<Command>,
  },
  gateway: {
    summary: 'run the API gateway in front of the services (routes from contracts + a config file)',
    load: () => import('./gateway.js') as Promise<Command>,
  },
  up: {
    summary: 'run the reference system (or a manifest) on this machine',
    load: () => import('./up.js') as Promise<Command>,
  },
  status: {
    summary: 'print the status table of a running system (instances, health, traffic, lag, backlog)',
    load: () => import('./status.js') as Promise<Command>,
  },
  logs: {
    summary: 'print and follow the logs of a running system: logs [service] [-f]',
    load: () => import('./logs.js') as Promise<Command>,
  },
  load: {
    summary: 'drive the gateway with a request mix and report throughput, latency and errors',
    load: () => import('./load.js') as Promise<Command>,
  },
  publish: {
    summary: "publish one message to a channel: publish <channel> '<json>'",
    load: () => import('./publish.js') as Promise<Command>,
  },
  tail: {
    summary: 'follow a channel and print its messages',
    load: () => import('./tail.js') as Promise<Command>,
  },
  dlq: {
    summary: 'list | show | replay | purge the dead letters of a channel',
    load: () => import('./dlq.js') as Promise<Command>,
  },
} satisfies Record<string, { summary: string; load: () => Promise<Command> }>;

export type CommandName = keyof typeof commands;
