import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Io } from '../io.js';
import { readManifest } from '../manifest.js';
import { followLogs } from '../status/follow.js';
import { lastLines, logSources, selectSources, type LogSource } from '../status/log-files.js';
import { readRunningSystem, stateDirOf, systemFileOf } from '../status/system-file.js';

const help = `Usage: switchyard logs [service] [options]

Prints the last lines of the logs of a system \`switchyard up\` runs (or ran) from this directory, each
prefixed with its process. A service name selects all its replicas (orders → orders-1, orders-2…);
a process name (orders-2, hub, gateway) selects one.

Options:
  -f, --follow        keep printing new lines until Ctrl-C
  -n, --lines <n>     lines per process (default 50)
  --manifest <file>   the system's manifest (default switchyard.yaml)`;

/** `switchyard logs [service] [-f]`: what the processes of a system wrote. */
export async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      follow: { type: 'boolean', short: 'f', default: false },
      lines: { type: 'string', short: 'n', default: '50' },
      manifest: { type: 'string', default: 'switchyard.yaml' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(help);
    return 0;
  }
  const count = Number(values.lines);
  if (!(Number.isInteger(count) && count >= 0)) throw new Error('--lines must be a whole number');
  const [name, ...extra] = positionals;
  if (extra.length > 0) throw new Error(`one service or process at a time, not ${positionals.join(' ')}`);
  const manifest = readManifest(values.manifest);
  const state = stateDirOf(manifest.name);
  const systemFile = systemFileOf(state);
  // Re-read at every poll while following: a system that starts or restarts meanwhile is picked up.
  const current = () => {
    const system = readRunningSystem(systemFile);
    const all = logSources({ manifest, system, logDir: system?.logDir ?? join(state, 'logs') });
    const chosen = selectSources(all, name);
    return 'sources' in chosen ? chosen.sources : [];
  };

  const system = readRunningSystem(systemFile);
  const logDir = system?.logDir ?? join(state, 'logs');
  const chosen = selectSources(logSources({ manifest, system, logDir }), name);
  if ('unknown' in chosen) {
    const known = chosen.known.length > 0 ? chosen.known.join(', ') : 'none';
    io.err(`switchyard logs: no process or service ${JSON.stringify(chosen.unknown)} (known: ${known})`);
    return 2;
  }
  if (chosen.sources.length === 0 && !values.follow) {
    io.err(`switchyard logs: no logs of ${manifest.name} in ${logDir}`);
    return 1;
  }

  let width = Math.max(0, ...chosen.sources.map((s) => s.name.length));
  const print = (source: LogSource, line: string) => {
    width = Math.max(width, source.name.length);
    io.out(`${io.style.dim(`${source.name.padEnd(width)} |`)} ${line}`);
  };
  const from = new Map<string, number>();
  for (const source of chosen.sources) {
    const { lines, end } = lastLines(source.file, count);
    for (const line of lines) print(source, line);
    from.set(source.file, end);
  }
  if (!values.follow) return 0;

  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await followLogs({ sources: current, from, onLine: print, signal: stop.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}
