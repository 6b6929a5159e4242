import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Io } from '../io.js';
import { loadMix } from '../load/mix.js';
import { runLoad } from '../load/run.js';
import { readManifest } from '../manifest.js';

const help = `Usage: switchyard load [manifest] [options]

Drives an HTTP gateway with the request mix of a module (a defineLoad(...) default export), shows live
progress and ends with throughput, latency percentiles and errors per kind of request. Ctrl-C stops
the run early and still prints the summary. Exit code 1 when the target cannot be reached or no
request succeeded.

Options:
  --url <url>          the target (default: http://127.0.0.1:<the manifest's gateway port, else 8080>)
  --mix <module>       the mix module (default: the manifest's load: key; manifest default switchyard.yaml)
  --rate <req/s>       open loop: start requests on this schedule, whether earlier ones finished or not
  --concurrency <n>    closed loop: n workers, each sending when its last request finished (default 16)
  --duration <s>       measured time (default 30)
  --warmup <s>         time sent first and not counted (default 0)
  --json               print the summary as one JSON object (progress goes to stderr)`;

/** `switchyard load`: argument handling only; the run is src/cli/load/run.ts. */
export async function run(args: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        mix: { type: 'string' },
        rate: { type: 'string' },
        concurrency: { type: 'string' },
        duration: { type: 'string', default: '30' },
        warmup: { type: 'string', default: '0' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(help);
    return 0;
  }
  if (values.rate !== undefined && values.concurrency !== undefined)
    return usage(io, '--rate and --concurrency exclude each other');
  const numbers = options(values);
  if (typeof numbers === 'string') return usage(io, numbers);

  let mixPath = values.mix;
  let gatewayPort: number | undefined;
  if (mixPath === undefined) {
    if (positionals[0] === undefined && !existsSync('switchyard.yaml'))
      return usage(io, 'no mix: pass --mix <module>, or a manifest with a load: key');
    const manifest = readManifest(positionals[0] ?? 'switchyard.yaml');
    if (manifest.load === undefined)
      return usage(
        io,
        `no mix: pass --mix <module>, or add a load: key to ${positionals[0] ?? 'switchyard.yaml'}`,
      );
    mixPath = resolve(manifest.dir, manifest.load);
    gatewayPort = manifest.gateway?.port;
  }
  return runLoad({
    url: values.url ?? `http://127.0.0.1:${gatewayPort ?? 8080}`,
    mix: await loadMix(mixPath),
    driver: numbers.rate === undefined ? { concurrency: numbers.concurrency ?? 16 } : { rate: numbers.rate },
    durationS: numbers.duration,
    warmupS: numbers.warmup,
    json: values.json,
    io,
  });
}

/** The numeric options, or what is wrong with them. */
function options(values: { rate?: string; concurrency?: string; duration: string; warmup: string }) {
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  const duration = Number(values.duration);
  const warmup = Number(values.warmup);
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0))
    return `--rate must be a positive number, not ${values.rate}`;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0))
    return `--concurrency must be a positive integer, not ${values.concurrency}`;
  if (!(Number.isFinite(duration) && duration > 0))
    return `--duration must be a positive number of seconds, not ${values.duration}`;
  if (!(Number.isFinite(warmup) && warmup >= 0))
    return `--warmup must be a number of seconds, not ${values.warmup}`;
  return { rate, concurrency, duration, warmup };
}

function usage(io: Io, problem: string): number {
  io.err(`switchyard load: ${problem}\n\n${help}`);
  return 2;
}
