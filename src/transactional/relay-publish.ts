import { SwitchyardError } from '../errors/index.js';
import type { BrokerAdapter, OutgoingMessage } from '../messaging/adapter.js';

export interface LaneFailure<R> {
  /** The first row of its lane the broker did not take; the lane's later rows were not tried. */
  readonly row: R;
  readonly error: SwitchyardError;
}

export interface LaneOutcome<R> {
  readonly published: R[];
  readonly failures: LaneFailure<R>[];
}

/**
 * Publishes rows grouped in lanes (each lane in order) and says which were confirmed. One publish call
 * for everything; when the broker refuses it, a retryable error (the broker is away) fails every lane
 * at its first row, while any other error is narrowed down lane by lane and row by row, so one bad
 * message holds back only its own lane and the rest still go out.
 */
export async function publishByLane<R>(
  broker: BrokerAdapter,
  lanes: readonly (readonly R[])[],
  toMessage: (row: R) => OutgoingMessage,
): Promise<LaneOutcome<R>> {
  const all = lanes.flat();
  if (all.length === 0) return { published: [], failures: [] };
  try {
    await broker.publish(all.map(toMessage));
    return { published: all, failures: [] };
  } catch (thrown) {
    const error = SwitchyardError.from(thrown);
    if (error.retryable || all.length === 1)
      return {
        published: [],
        failures: lanes.filter((l) => l.length > 0).map((l) => ({ row: l[0]!, error })),
      };
  }
  const published: R[] = [];
  const failures: LaneFailure<R>[] = [];
  for (const lane of lanes) {
    if (lane.length === 0) continue;
    try {
      await broker.publish(lane.map(toMessage));
      published.push(...lane);
      continue;
    } catch {
      // narrowed down below
    }
    for (const row of lane) {
      try {
        await broker.publish([toMessage(row)]);
        published.push(row);
      } catch (thrown) {
        failures.push({ row, error: SwitchyardError.from(thrown) });
        break;
      }
    }
  }
  return { published, failures };
}
