import type { AnyContract } from './types.js';

/** Commands go to the service's command channel unless a command names its own. */
export function commandChannel(contract: AnyContract, command: string): string {
  return contract.commands[command]?.channel ?? `${contract.name}.commands`;
}

/** Events go to the service's event channel unless an event names its own. */
export function eventChannel(contract: AnyContract, event: string): string {
  return contract.events[event]?.channel ?? `${contract.name}.events`;
}

/** CloudEvents `type` of a command, reply or event message. */
export function messageType(contract: AnyContract, message: string): string {
  return `${contract.name}.${message}`;
}
