import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

/** Fails before anything starts when a port the system needs is taken. */
export async function assertTcpPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'EADDRINUSE' ? `port ${port} (tcp) is in use` : error.message)),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

export async function assertUdpPortFree(port: number, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(error.code === 'EADDRINUSE' ? `port ${port} (udp) is in use` : error.message)),
    );
    socket.bind(port, host, () => socket.close(() => resolve()));
  });
}

export { freeTcpPort } from '../../internal/ports.js';
