import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';

/** One unit of load: a request of the mix and its settle. `dueAt` is when it should start. */
export type Task = (dueAt: number) => Promise<void>;

export interface DriverOptions {
  durationMs: number;
  /** Stops starting tasks (Ctrl-C); running ones are the task's own business. */
  signal: AbortSignal;
  task: Task;
  now?: () => number;
}

/**
 * Open loop: task `i` is due at `i / rate` seconds, whether or not earlier ones finished, so a slow
 * target meets the same arrivals a real one would and its queueing shows in the latencies (counted
 * from `dueAt`). At most `maxOutstanding` run at once; a due task beyond that is not started and
 * `onDropped` says so. Resolves when the schedule ended and every started task finished; rejects with
 * the first task failure, after which nothing more starts.
 */
export async function openLoop(
  options: DriverOptions & { rate: number; maxOutstanding: number; onDropped: () => void },
): Promise<void> {
  const {
    durationMs,
    signal,
    task,
    rate,
    maxOutstanding,
    onDropped,
    now = () => performance.now(),
  } = options;
  const begin = now();
  const interval = 1000 / rate;
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let burst = 0;
  for (let i = 0; i * interval < durationMs && !signal.aborted && !failure;) {
    const due = begin + i * interval;
    const wait = due - now();
    if (wait > 0) {
      burst = 0;
      await sleep(wait, undefined, { signal }).catch(() => undefined);
      continue;
    }
    i++;
    if (running.size >= maxOutstanding) {
      onDropped();
      continue;
    }
    const started = task(due)
      .catch((error: unknown) => void (failure ??= { error }))
      .finally(() => running.delete(started));
    running.add(started);
    // A task that failed at once is known before the next one starts, even while catching up.
    await Promise.resolve();
    // Catching up after a stall starts many at once; let their answers in now and then meanwhile.
    if (++burst % 64 === 0) await yieldToLoop();
  }
  await Promise.all(running);
  if (failure) throw failure.error;
}

/**
 * Closed loop: `concurrency` workers, each starting its next task when the previous one finished.
 * Resolves when the duration ended and every worker finished its last task; rejects with the first
 * task failure, after which the workers stop.
 */
export async function closedLoop(options: DriverOptions & { concurrency: number }): Promise<void> {
  const { durationMs, signal, task, concurrency, now = () => performance.now() } = options;
  const end = now() + durationMs;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    for (let at = now(); at < end && !signal.aborted && !failure; at = now()) {
      try {
        await task(at);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failure) throw failure.error;
}
