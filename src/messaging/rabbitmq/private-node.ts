/**
 * Internal, for tests: a private RabbitMQ node (never the shared one) with its own node name, ports,
 * data and config, so the engine-restart case can stop and start it. Boots in ~5-10 s.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { freeTcpPort } from '../../internal/ports.js';

const run = promisify(execFile);

export interface PrivateRabbitMq {
  readonly url: string;
  readonly node: string;
  /** Stops the node (`rabbitmqctl stop`) and starts it again on the same ports and data. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRabbitMq(): Promise<PrivateRabbitMq> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-rabbitmq-'));
  // rabbitmq-server may drop to the rabbitmq user: it must be able to write here.
  await chmod(dir, 0o777);
  const [port, distPort] = [await freeTcpPort(), await freeTcpPort()];
  const node = `sy${randomBytes(4).toString('hex')}@localhost`;
  const config = join(dir, 'rabbitmq.conf');
  const plugins = join(dir, 'enabled_plugins');
  // The machine's /etc/rabbitmq/rabbitmq.conf pins the shared node's port: replace it entirely.
  await writeFile(config, `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users = none\n`);
  await writeFile(plugins, '[].\n');
  await chmod(config, 0o666);
  await chmod(plugins, 0o666);
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: config,
    RABBITMQ_ENABLED_PLUGINS_FILE: plugins,
  };
  const start = async () => {
    await run('rabbitmq-server', ['-detached'], { env });
    // Right after -detached the node is not registered with epmd yet, and await_startup fails at once.
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await run('rabbitmqctl', ['-n', node, 'await_startup', '--timeout', '30'], { env, timeout: 40_000 });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  const stopNode = () => run('rabbitmqctl', ['-n', node, 'stop'], { env, timeout: 60_000 });
  try {
    await start();
  } catch (error) {
    await stopNode().catch(() => {});
    throw error;
  }
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    node,
    async restart(downMs = 300) {
      await stopNode();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    async stop() {
      await stopNode().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
