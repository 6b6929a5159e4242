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

/** A port nothing listens on now, for a child process told which port to take. */
export async function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
