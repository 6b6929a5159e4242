/**
 * CPU time per message, of this process and of the engine's server process. On a small, busy machine
 * throughput swings with whatever else runs; the CPU each side spends per message does much less, and
 * it says where the time goes (client library, messaging layer, or the engine).
 *
 * The engine's process is found by its listening TCP port through /proc (Linux); elsewhere, or
 * without the permission to read its file descriptors, only this process is measured.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Linux's USER_HZ: the unit of utime and stime in /proc/<pid>/stat on every mainstream architecture. */
const ticksPerSecond = 100;

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; the inode is the tenth field.
      if (f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A' && f[9]) inodes.add(f[9]);
    }
  }
  return inodes;
}

/** The process listening on `port`, if this machine lets us find it. */
export function pidListeningOn(port: number): number | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (wanted.has(readlinkSync(`/proc/${entry}/fd/${fd}`))) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/** User + system CPU of a process so far, in ms; undefined once it cannot be read. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start at "state"; utime and stime are 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

export interface CpuMeter {
  /** CPU spent since the last call, in ms: this process, and the engine's when known. */
  lap(): { client: number; engine: number | undefined };
}

export function cpuMeter(enginePort: number | undefined): CpuMeter {
  const pid = enginePort === undefined ? undefined : pidListeningOn(enginePort);
  let client = process.cpuUsage();
  let engine = pid === undefined ? undefined : processCpuMs(pid);
  return {
    lap() {
      const nowClient = process.cpuUsage();
      const nowEngine = pid === undefined ? undefined : processCpuMs(pid);
      const spent = {
        client: (nowClient.user - client.user + nowClient.system - client.system) / 1000,
        engine: nowEngine !== undefined && engine !== undefined ? nowEngine - engine : undefined,
      };
      client = nowClient;
      engine = nowEngine;
      return spent;
    },
  };
}
