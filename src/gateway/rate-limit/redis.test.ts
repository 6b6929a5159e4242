import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { SwitchyardError } from '../../errors/index.js';
import { connect } from '../../messaging/redis/link.js';
import { deleteKeys } from '../../messaging/redis/purge.js';
import { flood, mostInAnyWindow, type Admission } from './flood.js';
import { redisRateLimiter } from './redis.js';
import type { RateLimiter } from './types.js';

// Shared with other test runs: one prefix per run, every key of it deleted at the end.
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `sytest-rl-${randomBytes(4).toString('hex')}:`;
const limiters: RateLimiter[] = [];
const limiter = () => {
  const created = redisRateLimiter({ url, prefix });
  limiters.push(created);
  return created;
};

after(async () => {
  for (const created of limiters) await created.close();
  await deleteKeys(url, `${prefix}*`);
});

/** Checks a flood's admissions against the rule: never limit + burst in a window, and not far below. */
function assertWithinRule(admitted: Admission[], rule: { limit: number; windowMs: number; burst: number }) {
  const most = mostInAnyWindow(admitted, rule.windowMs);
  assert.ok(most <= rule.limit + rule.burst, `${most} admitted in one window`);
  const span = Math.max(...admitted.map((a) => a.end)) - Math.min(...admitted.map((a) => a.start));
  const ceiling = rule.burst + Math.ceil((span * rule.limit) / rule.windowMs) + 1;
  assert.ok(admitted.length <= ceiling, `${admitted.length} admitted in ${span} ms, at most ${ceiling}`);
  // Enough were admitted that both members clearly shared one bucket rather than being shut out.
  assert.ok(admitted.length >= rule.burst + 2, `only ${admitted.length} admitted`);
}

describe('redis rate limiter', () => {
  it('admits the burst, then one request per interval, on the server clock', async () => {
    const rl = limiter();
    const rule = { limit: 5, windowMs: 1000 };
    const decisions = [];
    for (let i = 0; i < 6; i++) decisions.push(await rl.take('exact', rule));
    assert.deepEqual(
      decisions.map((d) => d.allowed),
      [true, true, true, true, true, false],
    );
    assert.deepEqual(
      decisions.map((d) => d.remaining),
      [4, 3, 2, 1, 0, 0],
    );
    const denied = decisions[5]!;
    assert.ok(denied.retryAfterMs > 100 && denied.retryAfterMs <= 200, `retry after ${denied.retryAfterMs}`);
    assert.ok(denied.resetMs > 900 && denied.resetMs <= 1000);
    const redis = await connect({ url, name: 'switchyard-test' });
    try {
      const ttl = await redis.pttl(`${prefix}exact`);
      assert.ok(ttl > 0 && ttl <= 1000, `the key expires once the bucket is full again (${ttl})`);
    } finally {
      redis.disconnect();
    }
  });

  it('two limiters on separate connections enforce one limit', async () => {
    const rule = { limit: 10, windowMs: 1000, burst: 4 };
    const until = Date.now() + 2200;
    const key = 'shared-in-process';
    const [a, b] = await Promise.all([
      flood({ limiter: limiter(), key, rule, until, pauseMs: 4 }),
      flood({ limiter: limiter(), key, rule, until, pauseMs: 4 }),
    ]);
    assert.ok(a.length > 0 && b.length > 0, `both members were admitted (${a.length}, ${b.length})`);
    assertWithinRule([...a, ...b], rule);
  });

  it('two processes enforce one limit', async () => {
    const rule = { limit: 10, windowMs: 1000, burst: 4 };
    const env = {
      ...process.env,
      RL_CHILD: '1',
      RL_URL: url,
      RL_PREFIX: prefix,
      RL_KEY: 'shared-across-processes',
      RL_RULE: JSON.stringify(rule),
      RL_PAUSE_MS: '4',
    };
    const children = [startFlooder(env), startFlooder(env)];
    try {
      await Promise.all(children.map((c) => c.ready));
      const until = String(Date.now() + 2200);
      const [a, b] = await Promise.all(children.map((c) => c.run(until)));
      assert.ok(a!.length > 0 && b!.length > 0, `both processes were admitted (${a!.length}, ${b!.length})`);
      assertWithinRule([...a!, ...b!], rule);
    } finally {
      for (const c of children) c.kill();
    }
  });

  it('rejects with UNAVAILABLE when Redis cannot be reached, and refuses an empty prefix', async () => {
    const rl = redisRateLimiter({ url: 'redis://127.0.0.1:1', prefix, commandTimeoutMs: 300 });
    try {
      await assert.rejects(rl.take('k', { limit: 1, windowMs: 1000 }), (e) =>
        SwitchyardError.is(e, 'UNAVAILABLE'),
      );
    } finally {
      await rl.close();
    }
    assert.throws(
      () => redisRateLimiter({ url, prefix: '' }),
      (e) => SwitchyardError.is(e, 'INVALID_ARGUMENT'),
    );
  });
});

/** A child process running flood.ts: resolves `ready` once loaded; `run(until)` starts the flood. */
function startFlooder(env: NodeJS.ProcessEnv) {
  const script = fileURLToPath(new URL('./flood.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  const lines: Array<() => void> = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    for (const wake of lines.splice(0)) wake();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', done));
  const line = (n: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const all = output.split('\n');
        if (all.length > n) return resolve(all[n - 1]!);
        lines.push(check);
      };
      void exited.then((code) => reject(new Error(`flooder exited with ${code}: ${output}`)));
      check();
    });
  return {
    ready: line(1),
    async run(until: string): Promise<Admission[]> {
      child.stdin.end(until + '\n');
      return JSON.parse(await line(2)) as Admission[];
    },
    kill: () => child.exitCode === null && child.kill(),
  };
}
