/** Internal, for tests: the change and error events of a `Flags`, awaited one by one. */
import type { SwitchyardError } from '../errors/index.js';
import type { FlagChange, Flags } from './flags.js';

export type FlagEvent = { type: 'change'; change: FlagChange } | { type: 'error'; error: SwitchyardError };

export function recordEvents(flags: Flags) {
  const events: FlagEvent[] = [];
  let wake: (() => void) | undefined;
  const push = (event: FlagEvent) => {
    events.push(event);
    wake?.();
  };
  flags.onChange((change) => push({ type: 'change', change }));
  flags.onError((error) => push({ type: 'error', error }));
  return {
    events,
    /** The next event (after those already taken) of the given type, within `timeoutMs`. */
    async next<T extends FlagEvent['type']>(
      type: T,
      timeoutMs = 5000,
    ): Promise<Extract<FlagEvent, { type: T }>> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = events.findIndex((e) => e.type === type);
        if (index >= 0) return events.splice(0, index + 1).pop() as Extract<FlagEvent, { type: T }>;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ${type} event within ${timeoutMs} ms`);
        await new Promise<void>((done) => {
          const timer = setTimeout(done, left);
          wake = () => (clearTimeout(timer), done());
        });
        wake = undefined;
      }
    },
  };
}
