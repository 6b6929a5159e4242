import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';

/**
 * A port nothing listens on now, for a child process told which port to take. It is chosen below the
 * kernel's ephemeral range: a port from that range (what `listen(0)` gives) can be taken by any
 * outgoing connection in the seconds before the child binds it.
 */
export async function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  const [first] = ephemeralPorts();
  const low = 20_000;
  for (let attempt = 0; attempt < 50 && first > low + 1_000; attempt++) {
    const port = low + Math.floor(Math.random() * (first - low));
    if (await listens(port, host)) return port;
  }
  return listenOn(0, host);
}

/** The kernel's range for outgoing connections (Linux); the usual default elsewhere. */
function ephemeralPorts(): [number, number] {
  try {
    const [first, last] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(first) && Number.isInteger(last)) return [first!, last!];
  } catch {
    // Not Linux.
  }
  return [49_152, 65_535];
}

function listens(port: number, host: string): Promise<boolean> {
  return listenOn(port, host).then(
    () => true,
    () => false,
  );
}

/** Listens on `port` (0: any), closes, and gives the port it had. */
function listenOn(port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}
