import { isIP } from 'node:net';
import * as dns from 'dns-packet';
import { splitHostPort } from '../../discovery/registry/schema.js';
import type { Instance, Protocol } from '../../discovery/types.js';
import { addrName, parseName, versionMatches, type ZoneName } from './names.js';

export interface AnswerOptions {
  /** The zone, e.g. `switchyard`. */
  domain: string;
  /** TTL of positive answers in seconds (short: instances come and go). */
  ttl: number;
  /** Healthy instances of a service. */
  lookup(service: string): Promise<readonly Instance[]>;
}

const rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** Without EDNS a UDP answer must fit 512 bytes; with it, what the client offers, up to our cap. */
const plainUdpLimit = 512;
const maxUdpLimit = 4096;

/**
 * The response to one decoded query, or undefined when it deserves none (it is itself a response).
 * `limit` is the largest answer the transport carries: UDP answers beyond it are truncated (TC set),
 * and the client retries over TCP.
 */
export async function answer(
  query: dns.DecodedPacket,
  options: AnswerOptions,
  udp: boolean,
): Promise<Buffer | undefined> {
  if (query.type === 'response') return undefined;
  const opt = query.additionals?.find((a): a is dns.OptAnswer => a.type === 'OPT');
  const limit = !udp
    ? 65_535
    : opt
      ? Math.min(Math.max(opt.udpPayloadSize, plainUdpLimit), maxUdpLimit)
      : plainUdpLimit;
  const reply = (code: number, sections: Sections = {}) =>
    encode({ query, code, opt: opt !== undefined, limit, sections });

  const opcode = (query as { opcode?: string }).opcode;
  if (opcode !== 'QUERY') return reply(rcode.NOTIMP);
  const question = query.questions?.[0];
  if (!question || query.questions!.length !== 1) return reply(rcode.FORMERR);
  const name = parseName(question.name, options.domain);
  if (name === undefined) return reply(rcode.REFUSED);
  try {
    return reply(...(await resolve(name, question, options)));
  } catch {
    return reply(rcode.SERVFAIL);
  }
}

interface Sections {
  answers?: dns.Answer[];
  additionals?: dns.Answer[];
  authorities?: dns.Answer[];
}

async function resolve(
  name: ZoneName,
  question: dns.Question,
  options: AnswerOptions,
): Promise<[number, Sections]> {
  const soa = soaRecord(options.domain);
  const nodata: [number, Sections] = [rcode.NOERROR, { authorities: [soa] }];
  if (name.kind === 'none') return [rcode.NXDOMAIN, { authorities: [soa] }];
  if (name.kind === 'apex') return question.type === 'SOA' ? [rcode.NOERROR, { answers: [soa] }] : nodata;
  if (name.kind === 'addr') {
    const record = addressRecord(question.name, name.ip, options.ttl);
    return record.type === question.type ? [rcode.NOERROR, { answers: [record] }] : nodata;
  }
  const targets = (await options.lookup(name.service))
    .filter((i) => name.version === undefined || versionMatches(i.version, name.version))
    .map((i) => target(i, name.protocol))
    .filter((t) => t !== undefined);
  // A name exists while it has a healthy instance; NXDOMAIN is never cached (SOA minimum 0).
  if (targets.length === 0) return [rcode.NXDOMAIN, { authorities: [soa] }];
  shuffle(targets);
  const { ttl } = options;
  if (question.type === 'SRV') {
    const answers: dns.Answer[] = targets.map((t) => ({
      name: question.name,
      type: 'SRV',
      ttl,
      data: {
        priority: 1,
        weight: 1,
        port: t.port,
        target: isIP(t.host) ? addrName(t.host, options.domain) : t.host,
      },
    }));
    const additionals = unique(targets.filter((t) => isIP(t.host))).map((t) =>
      addressRecord(addrName(t.host, options.domain), t.host, ttl),
    );
    return [rcode.NOERROR, { answers, additionals }];
  }
  if (question.type === 'A' || question.type === 'AAAA') {
    const family = question.type === 'A' ? 4 : 6;
    const answers = unique(targets.filter((t) => isIP(t.host) === family)).map((t) =>
      addressRecord(question.name, t.host, ttl),
    );
    return answers.length > 0 ? [rcode.NOERROR, { answers }] : nodata;
  }
  return nodata;
}

interface Target {
  host: string;
  port: number;
}

/** The endpoint a name points at: the named protocol's, or the instance's first of http, grpc, nats. */
function target(instance: Instance, protocol: Protocol | undefined): Target | undefined {
  const { endpoints } = instance;
  const address = protocol ? endpoints[protocol] : (endpoints.http ?? endpoints.grpc ?? endpoints.nats);
  return address === undefined ? undefined : splitHostPort(address);
}

function addressRecord(name: string, ip: string, ttl: number): dns.Answer {
  return { name, type: isIP(ip) === 6 ? 'AAAA' : 'A', ttl, data: ip };
}

function soaRecord(domain: string): dns.Answer {
  return {
    name: domain,
    type: 'SOA',
    ttl: 0,
    data: {
      mname: `ns.${domain}`,
      rname: `hostmaster.${domain}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86_400,
      minimum: 0,
    },
  };
}

function unique(targets: Target[]): Target[] {
  const seen = new Set<string>();
  return targets.filter((t) => !seen.has(t.host) && seen.add(t.host));
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

function encode(args: {
  query: dns.DecodedPacket;
  code: number;
  opt: boolean;
  limit: number;
  sections: Sections;
}): Buffer {
  const { query, code, sections } = args;
  const rd = query.flag_rd ? dns.RECURSION_DESIRED : 0;
  const optRecord: dns.Answer[] = args.opt
    ? [
        {
          name: '.',
          type: 'OPT',
          udpPayloadSize: maxUdpLimit,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ]
    : [];
  const build = (answers: dns.Answer[], additionals: dns.Answer[], truncated: boolean): dns.Packet => ({
    type: 'response',
    id: query.id ?? 0,
    flags: dns.AUTHORITATIVE_ANSWER | rd | (truncated ? dns.TRUNCATED_RESPONSE : 0) | code,
    questions: query.questions ?? [],
    answers,
    authorities: sections.authorities ?? [],
    additionals: [...additionals, ...optRecord],
  });
  const answers = sections.answers ?? [];
  const full = dns.encode(build(answers, sections.additionals ?? [], false));
  if (full.length <= args.limit) return full;
  // Too big for UDP: drop the glue first, then as many answers as needed, and say so (TC).
  const bare = dns.encode(build(answers, [], false));
  if (bare.length <= args.limit) return bare;
  let low = 0;
  let high = answers.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (dns.encode(build(answers.slice(0, mid), [], true)).length <= args.limit) low = mid;
    else high = mid - 1;
  }
  return dns.encode(build(answers.slice(0, low), [], true));
}
