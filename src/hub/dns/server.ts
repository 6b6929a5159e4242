import { createSocket, type Socket } from 'node:dgram';
import { createServer, isIP, type Socket as TcpSocket } from 'node:net';
import * as dns from 'dns-packet';
import { answer, type AnswerOptions } from './answer.js';

export interface DnsServerOptions extends AnswerOptions {
  host: string;
  /** UDP and TCP share it; 0 picks a free port for both. */
  port: number;
  /** Idle TCP connections are closed after this (default 10 s). */
  tcpIdleMs?: number;
}

export interface DnsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Queries are small; anything larger than this on TCP is not a query we answer. */
const maxTcpMessage = 4096;

/**
 * DNS over UDP and TCP (RFC 1035 §4.2: TCP messages carry a 2-byte length prefix). A packet that
 * does not decode is dropped (UDP) or ends its connection (TCP); nothing a client sends can stop
 * the server answering others.
 */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  // With port 0 the UDP port is picked first and TCP takes the same number; if that number is taken
  // for TCP, try another.
  for (let attempt = 0; ; attempt++) {
    try {
      return await bindBoth(options);
    } catch (error) {
      if (options.port !== 0 || attempt >= 4 || (error as { code?: unknown }).code !== 'EADDRINUSE')
        throw error;
    }
  }
}

async function bindBoth(options: DnsServerOptions): Promise<DnsServer> {
  const udp = createSocket(isIP(options.host) === 6 ? 'udp6' : 'udp4');
  udp.on('message', (message, remote) => {
    void respond(message, options, true).then((reply) => {
      if (reply) udp.send(reply, remote.port, remote.address);
    });
  });
  const port = await bindUdp(udp, options.host, options.port);
  udp.on('error', () => undefined);
  const sockets = new Set<TcpSocket>();
  const tcp = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serveTcp(socket, options);
  });
  tcp.maxConnections = 256;
  try {
    await new Promise<void>((done, fail) => {
      tcp.once('error', fail);
      tcp.listen(port, options.host, () => (tcp.off('error', fail), done()));
    });
  } catch (error) {
    udp.close();
    throw error;
  }
  return {
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((done) => udp.close(() => done())),
        new Promise<void>((done) => tcp.close(() => done())),
      ]);
    },
  };
}

async function respond(message: Buffer, options: AnswerOptions, udp: boolean): Promise<Buffer | undefined> {
  let query: dns.DecodedPacket;
  try {
    query = dns.decode(message);
  } catch {
    return undefined;
  }
  return answer(query, options, udp).catch(() => undefined);
}

function serveTcp(socket: TcpSocket, options: DnsServerOptions): void {
  let buffered = Buffer.alloc(0);
  socket.setTimeout(options.tcpIdleMs ?? 10_000, () => socket.destroy());
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2) {
      const length = buffered.readUInt16BE(0);
      if (length === 0 || length > maxTcpMessage) return void socket.destroy();
      if (buffered.length < 2 + length) return;
      const message = buffered.subarray(2, 2 + length);
      buffered = buffered.subarray(2 + length);
      void respond(message, options, false).then((reply) => {
        if (!reply) return void socket.destroy();
        if (socket.writable) socket.write(Buffer.concat([lengthPrefix(reply.length), reply]));
      });
    }
  });
}

function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(length);
  return prefix;
}

function bindUdp(socket: Socket, host: string, port: number): Promise<number> {
  return new Promise((done, fail) => {
    socket.once('error', fail);
    socket.bind(port, host, () => {
      socket.off('error', fail);
      done(socket.address().port);
    });
  });
}
