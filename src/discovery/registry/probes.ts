import { connect } from 'node:net';
import { Agent, request } from 'undici';
import type { HealthCheck, HealthState } from '../types.js';
import { splitHostPort } from './schema.js';
import { checkDefaults } from './schema.js';

/** Runs one active check; never rejects: whatever goes wrong makes the instance `critical`. */
export type Probe = (check: HealthCheck) => Promise<HealthState>;

export interface Prober {
  readonly probe: Probe;
  close(): Promise<void>;
}

/**
 * The three kinds of active checks, Consul's rules: HTTP 2xx is passing, 429 warning, anything else
 * (or no answer in time) critical; TCP passing when a connection opens; gRPC passing when
 * `grpc.health.v1.Health/Check` answers SERVING.
 */
export function createProber(): Prober {
  // Our own pool, so closing the hub closes every socket the checks opened.
  const agent = new Agent({ keepAliveTimeout: 5000, connections: 4 });
  let grpc: Promise<import('./grpc-probe.js').GrpcProber> | undefined;

  const probe: Probe = async (check) => {
    const timeoutMs = (check.timeoutSeconds ?? checkDefaults.timeoutSeconds) * 1000;
    try {
      if (check.type === 'http') return await httpProbe(agent, check.url, timeoutMs);
      if (check.type === 'tcp') return await tcpProbe(check.address, timeoutMs);
      grpc ??= import('./grpc-probe.js').then((m) => m.createGrpcProber());
      return await (await grpc).probe(check.address, check.service ?? '', timeoutMs);
    } catch {
      return 'critical';
    }
  };

  return {
    probe,
    async close() {
      await agent.close().catch(() => undefined);
      if (grpc) (await grpc.catch(() => undefined))?.close();
    },
  };
}

async function httpProbe(agent: Agent, url: string, timeoutMs: number): Promise<HealthState> {
  const res = await request(url, {
    method: 'GET',
    dispatcher: agent,
    headers: { 'user-agent': 'switchyard-hub-health-check' },
    signal: AbortSignal.timeout(timeoutMs),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  await res.body.dump();
  if (res.statusCode >= 200 && res.statusCode < 300) return 'passing';
  return res.statusCode === 429 ? 'warning' : 'critical';
}

function tcpProbe(address: string, timeoutMs: number): Promise<HealthState> {
  const target = splitHostPort(address);
  if (!target) return Promise.resolve('critical');
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const done = (state: HealthState) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(state);
    };
    const timer = setTimeout(() => done('critical'), timeoutMs);
    socket.once('connect', () => done('passing'));
    socket.once('error', () => done('critical'));
  });
}
