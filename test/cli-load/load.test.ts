// `switchyard load` run in-process against a small HTTP server that counts what it is sent, so the
// report can be checked against what really arrived.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run } from '../../src/cli/commands/load.js';
import type { Io } from '../../src/cli/io.js';
import type { LoadSummary } from '../../src/cli/load/report.js';
import { runLoad } from '../../src/cli/load/run.js';
import { loadMix } from '../../src/cli/load/mix.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const approvedAfterMs = 50;
const token = 'load-test-token';

function captureIo(): Io & { stdout: string[]; stderr: string[] } {
  const plain = (text: string) => text;
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    tty: false,
    stdout,
    stderr,
    out: (line) => void stdout.push(line),
    err: (line) => void stderr.push(line),
    style: { bold: plain, dim: plain, red: plain, green: plain, yellow: plain },
  };
}

/** An order service: POST /orders answers PENDING, GET /orders/:id turns APPROVED 50 ms later. */
function orderServer() {
  const seen = { probes: 0, orders: 0, unauthorized: 0, polls: 0, menus: 0, unavailable: 0, other: 0 };
  const created = new Map<string, number>();
  const reply = (
    res: import('node:http').ServerResponse,
    status: number,
    body: unknown,
    type = 'application/json',
  ) => {
    res.writeHead(status, { 'content-type': type });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    // Read the whole request first so the connection stays reusable.
    req.resume();
    req.on('end', () => {
      const url = req.url ?? '/';
      if (req.method === 'POST' && url === '/orders') {
        seen.orders++;
        if (req.headers.authorization !== `Bearer ${token}`) {
          seen.unauthorized++;
          return reply(res, 401, { code: 'UNAUTHENTICATED' }, 'application/problem+json');
        }
        const id = `o-${seen.orders}`;
        created.set(id, Date.now());
        return reply(res, 201, { id, state: 'PENDING' });
      }
      const order = /^\/orders\/([^/]+)$/.exec(url);
      if (req.method === 'GET' && order) {
        seen.polls++;
        const at = created.get(order[1]!);
        if (at === undefined) return reply(res, 404, { code: 'NOT_FOUND' }, 'application/problem+json');
        return reply(res, 200, {
          id: order[1],
          state: Date.now() - at >= approvedAfterMs ? 'APPROVED' : 'PENDING',
        });
      }
      if (req.method === 'GET' && url === '/menu') {
        // Every tenth, so the count of 503s is known exactly.
        if (++seen.menus % 10 === 0) {
          seen.unavailable++;
          return reply(res, 503, { code: 'UNAVAILABLE', status: 503 }, 'application/problem+json');
        }
        return reply(res, 200, { items: ['tea'] });
      }
      if (url === '/') seen.probes++;
      else seen.other++;
      reply(res, 404, { code: 'NOT_FOUND' }, 'application/problem+json');
    });
  });
  return {
    seen,
    reset: () => Object.keys(seen).forEach((key) => (seen[key as keyof typeof seen] = 0)),
    listen: () =>
      new Promise<string>((done) =>
        server.listen(0, '127.0.0.1', () =>
          done(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
        ),
      ),
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

mkdirSync(join(root, '.switchyard/tmp'), { recursive: true });
const dir = mkdtempSync(join(root, '.switchyard/tmp/cli-load-'));
const mixFile = join(dir, 'mix.ts');
writeFileSync(
  mixFile,
  `import { defineLoad } from ${JSON.stringify(pathToFileURL(join(root, 'src/cli/load/mix.ts')).href)};

export default defineLoad({
  async setup({ baseUrl }) {
    if (!baseUrl.startsWith('http://127.0.0.1:')) throw new Error('unexpected base URL ' + baseUrl);
    return { token: ${JSON.stringify(token)} };
  },
  next(state, sequence) {
    if (sequence % 2 === 1) return { kind: 'menu', method: 'GET', path: '/menu' };
    return {
      kind: 'place order',
      method: 'POST',
      path: '/orders',
      headers: { authorization: 'Bearer ' + state.token },
      body: { item: 'tea', sequence },
      settle: {
        path: (order) => '/orders/' + order.id,
        done: (order) => order.state === 'APPROVED',
        everyMs: 20,
        timeoutMs: 5000,
      },
    };
  },
});
`,
);
writeFileSync(join(dir, 'switchyard.yaml'), 'name: load-test\nservices: {}\nload: mix.ts\n');

const server = orderServer();
let url: string;
before(async () => (url = await server.listen()));
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Checks a summary against what the server saw. */
function assertCounts(summary: LoadSummary): void {
  const { seen } = server;
  assert.equal(seen.probes, 1, 'one reachability probe');
  assert.equal(seen.other, 0);
  assert.equal(seen.unauthorized, 0, 'setup ran and its state reached next()');
  assert.equal(summary.requests, seen.orders + seen.menus, 'every request the server saw is counted once');
  assert.equal(summary.successes + summary.errors, summary.requests);
  assert.equal(summary.polls, seen.polls);
  assert.equal(summary.dropped, 0);
  assert.equal(summary.cancelled, 0);

  const kind = (name: string) => summary.kinds.find((k) => k.kind === name);
  const order = kind('place order');
  const menu = kind('menu');
  const settled = kind('place order (settled)');
  assert.ok(order && menu && settled, JSON.stringify(summary.kinds));
  assert.deepEqual(
    summary.kinds.map((k) => k.kind),
    ['place order', 'place order (settled)', 'menu'],
  );
  assert.equal(order.count, seen.orders);
  assert.equal(order.errors, 0);
  assert.equal(menu.count, seen.menus);
  assert.equal(menu.errors, seen.unavailable);
  assert.equal(summary.errors, seen.unavailable);
  assert.ok(settled.settled);
  assert.equal(settled.count, order.count, 'every order settled');
  assert.equal(settled.errors, 0);
  assert.ok(settled.latencyMs, 'settled latencies reported');
  assert.ok(seen.unavailable > 0, 'some 503s were sent');
  assert.deepEqual(summary.failures, [{ kind: 'menu', error: '503 UNAVAILABLE', count: seen.unavailable }]);
}

describe('switchyard load', () => {
  it('closed loop: counts every request once, settles orders, breaks 503s down by code', async () => {
    server.reset();
    const io = captureIo();
    const code = await run(
      [join(dir, 'switchyard.yaml'), '--url', url, '--duration', '2', '--concurrency', '4', '--json'],
      io,
    );
    assert.equal(code, 0, io.stderr.join('\n'));
    assert.equal(io.stdout.length, 1, 'stdout is the JSON summary alone');
    const summary = JSON.parse(io.stdout[0]!) as LoadSummary;
    assert.equal(summary.concurrency, 4);
    assertCounts(summary);
  });

  it('open loop: starts rate × duration requests', async () => {
    server.reset();
    const io = captureIo();
    const code = await run(['--mix', mixFile, '--url', url, '--rate', '50', '--duration', '2', '--json'], io);
    assert.equal(code, 0, io.stderr.join('\n'));
    const summary = JSON.parse(io.stdout[0]!) as LoadSummary;
    assert.equal(summary.rate, 50);
    assertCounts(summary);
    assert.ok(summary.requests >= 60 && summary.requests <= 140, `${summary.requests} requests`);
  });

  it('prints a summary table and the error breakdown for people', async () => {
    server.reset();
    const io = captureIo();
    const code = await run(['--mix', mixFile, '--url', url, '--duration', '1', '--concurrency', '4'], io);
    assert.equal(code, 0, io.stderr.join('\n'));
    const text = io.stdout.join('\n');
    assert.match(text, /^requests (\d+) \(\d+ ok, \d+ errors\)/m);
    assert.match(text, /^place order \(settled\)\s+\d+/m);
    assert.match(text, new RegExp(`^  503 UNAVAILABLE × ${server.seen.unavailable}\\s+menu$`, 'm'));
  });

  it('stops early when interrupted and still reports what finished', async () => {
    server.reset();
    const io = captureIo();
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const startedAt = Date.now();
    const code = await runLoad({
      url,
      mix: await loadMix(mixFile),
      driver: { concurrency: 4 },
      durationS: 60,
      warmupS: 0,
      json: true,
      io,
      signal: stop.signal,
    });
    assert.equal(code, 0, io.stderr.join('\n'));
    assert.ok(Date.now() - startedAt < 10_000, 'did not run the full minute');
    const summary = JSON.parse(io.stdout[0]!) as LoadSummary;
    assert.ok(summary.durationS < 60);
    assert.ok(summary.requests > 0);
    assert.equal(summary.successes + summary.errors, summary.requests);
  });

  it('exits 1 with "cannot reach" when nothing listens at the URL', async () => {
    const closed = orderServer();
    const deadUrl = await closed.listen();
    await closed.close();
    const io = captureIo();
    const code = await run(['--mix', mixFile, '--url', deadUrl, '--duration', '1', '--json'], io);
    assert.equal(code, 1);
    assert.match(io.stderr.join('\n'), new RegExp(`cannot reach ${deadUrl} \\(ECONNREFUSED\\)`));
    assert.deepEqual(io.stdout, []);
  });

  it('asks for a mix when neither --mix nor a load: key gives one', async () => {
    const manifest = join(dir, 'no-load.yaml');
    writeFileSync(manifest, 'name: load-test\nservices: {}\n');
    const io = captureIo();
    assert.equal(await run([manifest, '--url', url], io), 2);
    assert.match(io.stderr.join('\n'), /no mix: pass --mix <module>, or add a load: key to /);
  });
});

it('documents every option of switchyard load in docs/load.md', async () => {
  const doc = readFileSync(join(root, 'docs/load.md'), 'utf8');
  const io = captureIo();
  assert.equal(await run(['--help'], io), 0);
  const options = new Set(io.stdout.join('\n').match(/--[a-z][a-z-]+/g));
  assert.ok(options.size >= 7, [...options].join(' '));
  for (const option of options)
    assert.match(doc, new RegExp(`\`${option}(?![a-z-])`), `${option} is not documented`);
});
