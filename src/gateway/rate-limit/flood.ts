/**
 * Internal, for tests: floods one key of a limiter for a while and reports when each admitted request
 * started and ended (wall-clock milliseconds, comparable across processes of one machine).
 */
import type { RateLimiter, RateRule } from './types.js';

export interface Admission {
  readonly start: number;
  readonly end: number;
}

export interface FloodOptions {
  readonly limiter: RateLimiter;
  readonly key: string;
  readonly rule: RateRule;
  /** Wall-clock time to stop at. */
  readonly until: number;
  /** Pause between requests, so a flood does not starve the other processes of the machine. */
  readonly pauseMs: number;
}

const wallClock = () => performance.timeOrigin + performance.now();

export async function flood(options: FloodOptions): Promise<Admission[]> {
  const admitted: Admission[] = [];
  while (wallClock() < options.until) {
    const start = wallClock();
    const decision = await options.limiter.take(options.key, options.rule);
    if (decision.allowed) admitted.push({ start, end: wallClock() });
    await new Promise((done) => setTimeout(done, options.pauseMs));
  }
  return admitted;
}

/**
 * The most admissions found in any window of `windowMs`. An admission happened somewhere between its
 * start and end, so the window is shortened by the slowest answer: what is counted certainly fell in
 * some window of full length on the limiter's clock.
 */
export function mostInAnyWindow(admitted: readonly Admission[], windowMs: number): number {
  const slowest = Math.max(0, ...admitted.map((a) => a.end - a.start));
  const span = windowMs - 2 * slowest;
  const mid = admitted.map((a) => (a.start + a.end) / 2).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0; i < mid.length; i++) {
    let j = i;
    while (j < mid.length && mid[j]! < mid[i]! + span) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

/**
 * Run as a child process by the tests: says `ready` once loaded, floods with a Redis limiter configured
 * from the environment when told on stdin until when, and prints its admissions as JSON.
 */
async function main() {
  const { redisRateLimiter } = await import('./redis.js');
  const env = process.env;
  const limiter = redisRateLimiter({ url: env.RL_URL!, prefix: env.RL_PREFIX! });
  process.stdout.write('ready\n');
  let input = '';
  for await (const chunk of process.stdin) {
    input += String(chunk);
    if (input.includes('\n')) break;
  }
  const admitted = await flood({
    limiter,
    key: env.RL_KEY!,
    rule: JSON.parse(env.RL_RULE!) as RateRule,
    until: Number(input.trim()),
    pauseMs: Number(env.RL_PAUSE_MS),
  });
  await limiter.close();
  process.stdout.write(JSON.stringify(admitted) + '\n');
}

if (process.env.RL_CHILD === '1') await main();
