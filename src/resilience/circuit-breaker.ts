import { SwitchyardError } from '../errors/index.js';
import { isCalleeFailure, isNotRecorded } from './classify.js';
import { Emitter, type Event } from './events.js';
import { check, toContext, type ExecuteContext, type ExecuteOptions, type Policy } from './policy.js';
import { slidingWindow, type WindowOptions } from './sliding-window.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

export type StateChangeReason =
  'failure-rate' | 'slow-call-rate' | 'open-duration-elapsed' | 'probes-healthy' | 'probe-timeout';

export interface StateChangeEvent {
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly reason: StateChangeReason;
}

export interface CircuitBreakerOptions {
  window: WindowOptions;
  /** Percent of failed calls at which the breaker opens (0 < t ≤ 100). */
  failureRateThreshold: number;
  /** Percent of slow calls at which the breaker opens; 100 by default. */
  slowCallRateThreshold?: number;
  /** A call lasting at least this long is slow, success or not. No slow-call rule without it. */
  slowCallDurationMs?: number;
  /** Outcomes the window must hold before a rate is judged (capped at a count window's size). */
  minimumCalls: number;
  openDurationMs: number;
  halfOpen: { permittedCalls: number; maxWaitMs: number };
  /** Which errors count against the callee; see `isCalleeFailure` for the default. */
  isFailure?(error: unknown): boolean;
  /** Which errors are recorded as nothing at all; see `isNotRecorded` for the default. */
  isIgnored?(error: unknown): boolean;
  /** A monotonic ms clock; injectable so tests move time instead of sleeping. */
  now?: () => number;
}

export interface CircuitMetrics {
  readonly state: CircuitState;
  /** Outcomes the rates are over: the window's when closed or open, this round's probes when half-open. */
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
  /** Percentages, 0 when no calls. */
  readonly failureRate: number;
  readonly slowCallRate: number;
}

export interface CircuitBreakerPolicy extends Policy {
  readonly state: CircuitState;
  readonly metrics: CircuitMetrics;
  readonly onStateChange: Event<StateChangeEvent>;
}

/**
 * A circuit breaker in resilience4j's terms (sliding window, failure and slow-call rates, a limited
 * half-open round) with cockatiel's shape. No timers: time-driven transitions (open → half-open after
 * `openDurationMs`, half-open → open when probes overrun `maxWaitMs`) are worked out from the clock on
 * the next call or state read, dated when they were due, so the result is what a timer would give.
 *
 * Every admitted call carries the breaker's generation (bumped by each transition) and its outcome
 * is recorded only if the generation is unchanged. So results of calls started before the breaker
 * opened, or of probes of a round that already timed out, change nothing: in particular they cannot
 * extend the open period.
 */
export function circuitBreaker(options: CircuitBreakerOptions): CircuitBreakerPolicy {
  const { failureRateThreshold, openDurationMs, halfOpen, now = () => performance.now() } = options;
  validate(options);
  const slowRateThreshold = options.slowCallRateThreshold ?? 100;
  const slowMs = options.slowCallDurationMs ?? Infinity;
  const isFailure = options.isFailure ?? isCalleeFailure;
  const isIgnored = options.isIgnored ?? isNotRecorded;
  const window = slidingWindow(options.window);
  const timeWindow = options.window.type === 'time';
  // A count window never holds more than its size: a larger minimum would keep the breaker shut forever.
  const minimumCalls = Math.min(
    options.minimumCalls,
    options.window.type === 'count' ? options.window.size : Infinity,
  );
  const changes = new Emitter<StateChangeEvent>();

  let state: CircuitState = 'closed';
  let generation = 0;
  let openUntil = 0;
  // The current half-open round.
  let admitted = 0;
  let completed = 0;
  let probeFailures = 0;
  let probeSlow = 0;
  let probeDeadline = Infinity;

  /**
   * Opens at "≥": at exactly the threshold the breaker opens (resilience4j's rule). Compared as
   * bad × 100 ≥ threshold × calls rather than as a divided rate, which is exact for whole-percent
   * thresholds, so rounding can never move a call across the boundary.
   */
  function tripped(calls: number, failures: number, slow: number): StateChangeReason | undefined {
    if (failures * 100 >= failureRateThreshold * calls) return 'failure-rate';
    if (slow * 100 >= slowRateThreshold * calls) return 'slow-call-rate';
    return undefined;
  }

  function transition(to: CircuitState, reason: StateChangeReason, at: number): void {
    const from = state;
    state = to;
    generation++;
    if (to === 'open') openUntil = at + openDurationMs;
    else if (to === 'half-open') admitted = completed = probeFailures = probeSlow = 0;
    else window.reset();
    probeDeadline = Infinity;
    if (changes.listening) changes.emit({ from, to, reason });
  }

  /** Applies the transitions that fell due by `t`. */
  function advance(t: number): void {
    // At most open → half-open → open → half-open: a new round has no probe deadline until it admits one.
    for (;;) {
      if (state === 'open' && t >= openUntil) transition('half-open', 'open-duration-elapsed', openUntil);
      else if (state === 'half-open' && t >= probeDeadline)
        transition('open', 'probe-timeout', probeDeadline);
      else return;
    }
  }

  /** Admits a call (returning the generation it runs under) or throws CIRCUIT_OPEN. */
  function admit(): number {
    if (state === 'closed') return generation;
    const t = now();
    advance(t);
    if (state === 'open') {
      throw new SwitchyardError('CIRCUIT_OPEN', 'The circuit breaker is open', {
        details: { state, remainingMs: Math.max(0, openUntil - t) },
      });
    }
    if (admitted >= halfOpen.permittedCalls) {
      throw new SwitchyardError('CIRCUIT_OPEN', 'The circuit breaker is half-open and its probes are taken', {
        details: { state },
      });
    }
    if (probeDeadline === Infinity) probeDeadline = t + halfOpen.maxWaitMs;
    admitted++;
    return generation;
  }

  function settle(admittedIn: number, outcome: 'success' | 'failure' | 'ignored', started: number): void {
    const needClock = state !== 'closed' || timeWindow || slowMs !== Infinity;
    const t = needClock ? now() : 0;
    if (state !== 'closed') advance(t);
    if (admittedIn !== generation) return;
    const failure = outcome === 'failure';
    const slow = t - started >= slowMs;
    if (state === 'closed') {
      if (outcome === 'ignored') return;
      window.record(failure, slow, t);
      if (window.calls < minimumCalls) return;
      const reason = tripped(window.calls, window.failures, window.slowCalls);
      if (reason) transition('open', reason, needClock ? t : now());
    } else if (state === 'half-open') {
      if (outcome === 'ignored') {
        admitted--; // hand the permit to another caller: a cancelled probe proved nothing
        return;
      }
      completed++;
      if (failure) probeFailures++;
      if (slow) probeSlow++;
      if (completed < halfOpen.permittedCalls) return;
      const reason = tripped(completed, probeFailures, probeSlow);
      transition(reason ? 'open' : 'closed', reason ?? 'probes-healthy', t);
    }
  }

  function classify(error: unknown): 'failure' | 'success' | 'ignored' {
    if (isIgnored(error)) return 'ignored';
    return isFailure(error) ? 'failure' : 'success';
  }

  return {
    get state() {
      if (state !== 'closed') advance(now());
      return state;
    },
    get metrics(): CircuitMetrics {
      const current = this.state;
      if (timeWindow && current !== 'half-open') window.advance(now());
      const [calls, failures, slowCalls] =
        current === 'half-open'
          ? [completed, probeFailures, probeSlow]
          : [window.calls, window.failures, window.slowCalls];
      const rate = (n: number) => (calls === 0 ? 0 : (n * 100) / calls);
      return {
        state: current,
        calls,
        failures,
        slowCalls,
        failureRate: rate(failures),
        slowCallRate: rate(slowCalls),
      };
    },
    onStateChange: changes.event,
    async execute<T>(fn: (ctx: ExecuteContext) => Promise<T>, options?: ExecuteOptions): Promise<T> {
      const ctx = toContext(options);
      const admittedIn = admit();
      const started = slowMs === Infinity ? 0 : now();
      try {
        const value = await fn(ctx);
        settle(admittedIn, 'success', started);
        return value;
      } catch (error) {
        settle(admittedIn, classify(error), started);
        throw error;
      }
    },
  };
}

function validate(o: CircuitBreakerOptions): void {
  const size = o.window.type === 'count' ? o.window.size : o.window.seconds;
  check(Number.isInteger(size) && size > 0, 'circuitBreaker: the window size must be a positive integer');
  const percent = (p: number) => p > 0 && p <= 100;
  check(percent(o.failureRateThreshold), 'circuitBreaker: failureRateThreshold must be in (0, 100]');
  check(percent(o.slowCallRateThreshold ?? 100), 'circuitBreaker: slowCallRateThreshold must be in (0, 100]');
  check(o.minimumCalls >= 1, 'circuitBreaker: minimumCalls must be at least 1');
  check(o.openDurationMs >= 0, 'circuitBreaker: openDurationMs must not be negative');
  check(
    Number.isInteger(o.halfOpen.permittedCalls) && o.halfOpen.permittedCalls > 0,
    'circuitBreaker: halfOpen.permittedCalls must be a positive integer',
  );
  check(o.halfOpen.maxWaitMs > 0, 'circuitBreaker: halfOpen.maxWaitMs must be positive');
}
