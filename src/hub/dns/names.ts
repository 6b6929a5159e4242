import { isIP } from 'node:net';
import type { Protocol } from '../../discovery/types.js';

const protocols: ReadonlySet<string> = new Set<Protocol>(['http', 'grpc', 'nats']);

/**
 * What a query name means in our zone:
 *   <domain>                                        the zone apex (SOA)
 *   [_<protocol>._tcp.][<version>.]<service>.service.<domain>   healthy instances
 *   <hex ip>.addr.<domain>                          an instance address (SRV targets point here)
 * where <version> is `v1`, `1`, `1.4` or `1.4.0` (dotted versions span several labels) and matches
 * instances whose version starts with those numbers.
 */
export type ZoneName =
  | { readonly kind: 'apex' }
  | {
      readonly kind: 'service';
      readonly service: string;
      readonly version?: readonly number[];
      readonly protocol?: Protocol;
    }
  | { readonly kind: 'addr'; readonly ip: string }
  /** In our zone, but no name we could ever answer: NXDOMAIN. */
  | { readonly kind: 'none' };

/** Parses a query name; undefined when it lies outside the zone (REFUSED: we are no resolver). */
export function parseName(name: string, domain: string): ZoneName | undefined {
  const lower = name.toLowerCase().replace(/\.$/, '');
  const zone = domain.toLowerCase().replace(/\.$/, '');
  if (lower === zone) return { kind: 'apex' };
  if (!lower.endsWith('.' + zone)) return undefined;
  const labels = lower.slice(0, -(zone.length + 1)).split('.');
  const last = labels.at(-1);
  if (last === 'addr' && labels.length === 2) {
    const ip = decodeAddr(labels[0]!);
    return ip === undefined ? { kind: 'none' } : { kind: 'addr', ip };
  }
  if (last !== 'service' || labels.length < 2) return { kind: 'none' };
  const service = labels.at(-2)!;
  let rest = labels.slice(0, -2);
  let protocol: Protocol | undefined;
  if (rest.length >= 2 && rest[1] === '_tcp' && rest[0]!.startsWith('_')) {
    const wanted = rest[0]!.slice(1);
    if (!protocols.has(wanted)) return { kind: 'none' };
    protocol = wanted as Protocol;
    rest = rest.slice(2);
  }
  if (!/^[a-z][a-z0-9-]*$/.test(service)) return { kind: 'none' };
  if (rest.length === 0) return { kind: 'service', service, ...(protocol ? { protocol } : {}) };
  const version = /^v?(\d{1,9}(?:\.\d{1,9}){0,2})$/.exec(rest.join('.'));
  if (!version) return { kind: 'none' };
  return {
    kind: 'service',
    service,
    version: version[1]!.split('.').map(Number),
    ...(protocol ? { protocol } : {}),
  };
}

/** Whether a semver string starts with the given numbers (`[1, 4]` matches `1.4.2`). */
export function versionMatches(version: string, wanted: readonly number[]): boolean {
  const parts = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!parts) return false;
  return wanted.every((n, i) => Number(parts[i + 1]) === n);
}

/** The SRV target name of an IP address: its bytes in hex, as Consul's `.addr.` names. */
export function addrName(ip: string, domain: string): string {
  const bytes =
    isIP(ip) === 4
      ? ip.split('.').map((n) => Number(n).toString(16).padStart(2, '0'))
      : expandIpv6(ip).map((group) => group.padStart(4, '0'));
  return `${bytes.join('')}.addr.${domain}`;
}

function decodeAddr(label: string): string | undefined {
  if (/^[0-9a-f]{8}$/.test(label))
    return [0, 2, 4, 6].map((i) => parseInt(label.slice(i, i + 2), 16)).join('.');
  if (/^[0-9a-f]{32}$/.test(label)) {
    const groups = Array.from({ length: 8 }, (_, i) => label.slice(i * 4, i * 4 + 4));
    return groups.join(':');
  }
  return undefined;
}

function expandIpv6(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const last = right.at(-1) ?? left.at(-1);
  if (last?.includes('.')) {
    const owner = right.length > 0 ? right : left;
    const [a, b, c, d] = owner.pop()!.split('.').map(Number) as [number, number, number, number];
    owner.push(((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const missing = 8 - left.length - right.length;
  return [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
}
