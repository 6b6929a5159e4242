import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Instance, InstanceSet, Registration } from '../../src/discovery/types.js';

/**
 * A stand-in for the hub's registry API (src/discovery/hub-api.ts), faithful to what clients see:
 * register/replace, heartbeat (404 for an unknown id), deregister, service reads with Consul-style
 * blocking queries (`index`, `wait`, `major`), and the token rule for writes. No TTL eviction, health
 * checks or SSE: tests drive those states directly.
 */
export interface FakeHub {
  readonly url: string;
  readonly port: number;
  /** Every request seen, as `METHOD /path?query`. */
  readonly requests: string[];
  readonly heartbeats: Map<string, number>;
  instances(service?: string): Instance[];
  register(registration: Registration): Instance;
  deregister(id: string): void;
  /** Loses all state, as a hub restarted without its database. */
  forget(): void;
  /** Stops listening and cuts every open connection (pending blocking queries included). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export async function startFakeHub(options: { token?: string } = {}): Promise<FakeHub> {
  const registered = new Map<string, Instance>();
  const serviceIndex = new Map<string, number>();
  const waiters = new Set<{ service: string; wake: () => void }>();
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const heartbeats = new Map<string, number>();
  let index = 0;

  const changed = (service: string) => {
    serviceIndex.set(service, ++index);
    for (const w of [...waiters]) if (w.service === service) w.wake();
  };
  const register = (r: Registration): Instance => {
    const instance: Instance = {
      id: r.id,
      service: r.service,
      version: r.version,
      endpoints: { ...r.endpoints },
      labels: { ...(r.labels ?? {}) },
      ...(r.zone === undefined ? {} : { zone: r.zone }),
      health: 'passing',
    };
    registered.set(r.id, instance);
    changed(r.service);
    return instance;
  };
  const deregister = (id: string) => {
    const instance = registered.get(id);
    if (!instance) return;
    registered.delete(id);
    changed(instance.service);
  };
  const setOf = (service: string, major: number | undefined): InstanceSet => ({
    service,
    index: serviceIndex.get(service) ?? 0,
    instances: [...registered.values()].filter(
      (i) =>
        i.service === service &&
        i.health === 'passing' &&
        (major === undefined || Number.parseInt(i.version, 10) === major),
    ),
  });

  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handle(req, res).catch((error: unknown) => send(res, 500, problem(500, 'INTERNAL', String(error))));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const write = req.method !== 'GET';
    if (write && options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      return send(res, 401, problem(401, 'UNAUTHENTICATED', 'a bearer token is required'));
    }
    if (parts[0] !== 'v1' || parts[1] !== 'registry')
      return send(res, 404, problem(404, 'NOT_FOUND', 'no route'));
    const [, , kind, name, sub] = parts;
    if (kind === 'instances' && name && !sub && req.method === 'PUT') {
      const body = JSON.parse(await text(req)) as Registration;
      return send(res, 200, register({ ...body, id: name }));
    }
    if (kind === 'instances' && name && sub === 'heartbeat' && req.method === 'PUT') {
      if (!registered.has(name)) return send(res, 404, problem(404, 'NOT_FOUND', `no instance ${name}`));
      heartbeats.set(name, (heartbeats.get(name) ?? 0) + 1);
      return send(res, 200, {});
    }
    if (kind === 'instances' && name && !sub && req.method === 'DELETE') {
      deregister(name);
      res.writeHead(204).end();
      return;
    }
    if (kind === 'instances' && !name && req.method === 'GET') {
      const service = url.searchParams.get('service');
      return send(res, 200, {
        instances: [...registered.values()].filter((i) => !service || i.service === service),
      });
    }
    if (kind === 'services' && !name && req.method === 'GET') {
      return send(res, 200, { services: [...new Set([...registered.values()].map((i) => i.service))] });
    }
    if (kind === 'services' && name && !sub && req.method === 'GET') {
      const majorParam = url.searchParams.get('major');
      const major = majorParam === null ? undefined : Number(majorParam);
      const after = url.searchParams.get('index');
      if (after !== null && (serviceIndex.get(name) ?? 0) <= Number(after)) {
        await waitForChange(name, parseWait(url.searchParams.get('wait') ?? '30s'), req);
      }
      if (!res.destroyed) send(res, 200, setOf(name, major));
      return;
    }
    send(res, 404, problem(404, 'NOT_FOUND', 'no route'));
  }

  function waitForChange(service: string, ms: number, req: IncomingMessage): Promise<void> {
    return new Promise((resolve) => {
      const waiter = { service, wake: () => done() };
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve();
      };
      waiters.add(waiter);
      req.socket.once('close', done);
    });
  }

  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  await listen();

  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    requests,
    heartbeats,
    instances: (service) => [...registered.values()].filter((i) => !service || i.service === service),
    register,
    deregister,
    forget() {
      const services = new Set([...registered.values()].map((i) => i.service));
      registered.clear();
      // A fresh hub starts its indexes again: what clients see after a restart without state.
      serviceIndex.clear();
      index = 0;
      for (const service of services) changed(service);
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    start: listen,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
}

function problem(status: number, code: string, detail: string) {
  return { type: 'about:blank', title: code, status, detail, code };
}

function parseWait(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value);
  if (!match) return 30_000;
  const n = Number(match[1]);
  return match[2] === 'ms' ? n : match[2] === 'm' ? n * 60_000 : n * 1000;
}

function text(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
