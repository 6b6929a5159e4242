import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Io } from '../io.js';
import { readManifest } from '../manifest.js';
import { createCollector } from '../status/collect.js';
import { readRunningSystem, stateDirOf, systemFileOf } from '../status/system-file.js';
import { renderTable } from '../status/table.js';

const help = `Usage: switchyard status [manifest] [--json]

Prints the status of a system that \`switchyard up\` runs from this directory: per process its state,
health as the hub reports it, requests and errors per second (measured over one second), consumer
lag, outbox backlog, memory and restarts. "-" means the process does not expose the value.
Exits 3 when the system is not running.

Options:
  --json   the rows as JSON`;

/** Exit code of `status` for a system that is not running (as `systemctl status` uses 3). */
export const notRunning = 3;

/** `switchyard status [manifest]`: one look at a running system. */
export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(help);
    return 0;
  }
  const manifest = readManifest(positionals[0] ?? 'switchyard.yaml');
  const system = readRunningSystem(systemFileOf(stateDirOf(manifest.name)));
  if (!system) {
    io.out(`${manifest.name} is not running`);
    return notRunning;
  }
  const collector = createCollector({
    hubUrl: system.hubUrl,
    processes: () => system.processes,
  });
  // A rate needs two samples: the first only primes the collector.
  await collector.rows();
  await sleep(1_000);
  const rows = await collector.rows();
  if (values.json) {
    io.out(JSON.stringify(rows, null, 2));
    return 0;
  }
  const since = new Date(system.startedAt).toLocaleString();
  io.out(`${io.style.bold(system.name)} ${io.style.dim(`up since ${since} (pid ${system.pid})`)}`);
  io.out(`  hub      ${system.hubUrl}   dns 127.0.0.1:${system.dnsPort}`);
  if (system.gatewayUrl) io.out(`  gateway  ${system.gatewayUrl}`);
  io.out('');
  for (const line of renderTable(rows, io.style)) io.out(line);
  return 0;
}
