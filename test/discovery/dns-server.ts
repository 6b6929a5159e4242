import { createSocket, type RemoteInfo } from 'node:dgram';
import * as dnsPacket from 'dns-packet';

export type Record =
  | { type: 'SRV'; name: string; target: string; port: number; priority?: number; weight?: number }
  | { type: 'A' | 'AAAA'; name: string; address: string };

export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for `setServers`. */
  readonly server: string;
  /** Replaces the zone. */
  setRecords(records: readonly Record[]): void;
  /** Questions asked, as `TYPE name`. */
  readonly questions: string[];
  /** Stops answering (queries time out) until `resume()`. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

const NXDOMAIN = 3;

/** A tiny authoritative DNS server over UDP answering SRV, A and AAAA from an in-memory zone. */
export async function startDnsServer(records: readonly Record[] = []): Promise<TestDnsServer> {
  let zone = records;
  let paused = false;
  const questions: string[] = [];
  const socket = createSocket('udp4');

  socket.on('message', (message: Buffer, from: RemoteInfo) => {
    if (paused) return;
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    if (!question) return;
    questions.push(`${question.type} ${question.name}`);
    const name = question.name.toLowerCase();
    const named = zone.filter((r) => r.name.toLowerCase() === name);
    const answers: dnsPacket.Answer[] = named
      .filter((r) => r.type === question.type)
      .map((r) =>
        r.type === 'SRV'
          ? {
              type: 'SRV',
              name: r.name,
              ttl: 5,
              data: { target: r.target, port: r.port, priority: r.priority ?? 1, weight: r.weight ?? 1 },
            }
          : { type: r.type, name: r.name, ttl: 5, data: r.address },
      );
    const response = dnsPacket.encode({
      type: 'response',
      id: query.id,
      // No record of any type under the name: NXDOMAIN; records of other types only: an empty answer.
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (named.length === 0 ? NXDOMAIN : 0),
      questions: [question],
      answers,
    });
    socket.send(response, from.port, from.address);
  });

  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return {
    server: `127.0.0.1:${port}`,
    questions,
    setRecords: (next) => void (zone = next),
    pause: () => void (paused = true),
    resume: () => void (paused = false),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
