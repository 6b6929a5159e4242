/**
 * Starts the processes of bench/support/gateway-servers.ts, one child each, and stops them. The same
 * protocol as bench/support/child.ts (ready address over IPC, `stop` message), for another entry.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ServerChild } from './child.js';
import type { GatewayServerKind, GatewayServerOptions } from './gateway-servers.js';

const entry = fileURLToPath(new URL('./gateway-servers.ts', import.meta.url));

export async function startGatewayServer(
  kind: GatewayServerKind,
  options: GatewayServerOptions = {},
): Promise<Omit<ServerChild, 'kind'>> {
  const child = fork(entry, [kind, JSON.stringify(options)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send('stop');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const [message] = (await Promise.race([
      once(child, 'message'),
      exited.then(([code]) =>
        Promise.reject(new Error(`${kind} exited with ${String(code)} before it was ready`)),
      ),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`${kind}: not ready within 30 s`)), 30_000).unref(),
      ),
    ])) as [{ ready?: string }];
    if (typeof message.ready !== 'string')
      throw new Error(`${kind}: unexpected message ${JSON.stringify(message)}`);
    return { address: message.ready, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
