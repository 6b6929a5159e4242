import { parseArgs } from 'node:util';
import { createGateway } from '../../gateway/index.js';
import { importModule } from '../import-module.js';
import type { Io } from '../io.js';
import { stopWithParent } from '../up/parent-watch.js';

const help = `Usage: switchyard gateway [options]

Runs the API gateway until Ctrl-C. The configuration file is watched: a change is applied without
dropping connections, and a broken change is reported while the running configuration keeps serving.

Options:
  --config <file>   gateway configuration, YAML or TypeScript (default gateway.yaml)
  --port <n>        listen port (default: the configuration's listen.port, else 8080)
  --host <addr>     listen address (default: the configuration's listen.host, else 127.0.0.1)
  --no-watch        do not reload when the file changes
  --grace <ms>      how long in-flight requests may finish on Ctrl-C (default 10000)`;

/** `switchyard gateway`: the edge of a system, until SIGINT or SIGTERM. */
export async function run(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', default: 'gateway.yaml' },
      port: { type: 'string' },
      host: { type: 'string' },
      'no-watch': { type: 'boolean', default: false },
      grace: { type: 'string', default: '10000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(help);
    return 0;
  }
  stopWithParent();
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535))
    throw new Error('--port must be an integer from 0 to 65535');
  const graceMs = Number(values.grace);
  if (!(Number.isInteger(graceMs) && graceMs >= 0))
    throw new Error('--grace must be a whole number of milliseconds');
  const gateway = await createGateway({
    file: values.config,
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
    watch: !values['no-watch'],
    importModule: (path) => importModule(path),
    log: (line) => io.err(line),
  });
  const { url } = await gateway.listen();
  io.err(
    `${io.style.green('✓')} gateway listening on ${io.style.bold(url)} (${gateway.routes.length} routes)`,
  );
  for (const route of gateway.routes)
    io.err(io.style.dim(`  ${(route.methods?.join(',') ?? '*').padEnd(7)} ${route.template}  ${route.id}`));
  io.err('Press Ctrl-C to stop.');
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  io.err('gateway draining…');
  await gateway.close({ graceMs });
  io.err('gateway stopped');
  return 0;
}
