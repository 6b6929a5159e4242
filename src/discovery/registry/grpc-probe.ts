import type { HealthState } from '../types.js';

export interface GrpcProber {
  probe(address: string, service: string, timeoutMs: number): Promise<HealthState>;
  close(): void;
}

const method = '/grpc.health.v1.Health/Check';
/** `HealthCheckResponse.ServingStatus.SERVING`. */
const serving = 1;

/**
 * The standard gRPC health check (grpc.health.v1). @grpc/grpc-js is an optional peer dependency, so
 * this module is imported only when a registration asks for a gRPC check. The two messages have one
 * field each, so they are encoded by hand rather than loading a .proto.
 */
export async function createGrpcProber(): Promise<GrpcProber> {
  const grpc = await import('@grpc/grpc-js');
  const open = new Set<import('@grpc/grpc-js').Client>();
  return {
    probe(address, service, timeoutMs) {
      // A fresh channel per check: it proves the instance accepts new connections, and leaves
      // nothing behind for instances that have gone.
      const client = new grpc.Client(address, grpc.credentials.createInsecure());
      open.add(client);
      return new Promise<HealthState>((resolve) => {
        client.makeUnaryRequest(
          method,
          encodeRequest,
          decodeStatus,
          service,
          new grpc.Metadata(),
          { deadline: Date.now() + timeoutMs },
          (error, status) => {
            client.close();
            open.delete(client);
            resolve(!error && status === serving ? 'passing' : 'critical');
          },
        );
      });
    },
    close() {
      for (const client of open) client.close();
      open.clear();
    },
  };
}

/** `HealthCheckRequest { string service = 1; }` */
export function encodeRequest(service: string): Buffer {
  const bytes = Buffer.from(service);
  if (bytes.length === 0) return Buffer.alloc(0);
  return Buffer.concat([Buffer.from([0x0a]), varint(bytes.length), bytes]);
}

/** `HealthCheckResponse { ServingStatus status = 1; }`; fields we do not know are skipped. */
export function decodeStatus(buffer: Buffer): number {
  let offset = 0;
  let status = 0;
  const read = () => {
    let value = 0;
    for (let shift = 0; offset < buffer.length; shift += 7) {
      const byte = buffer[offset++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw new Error('truncated varint');
  };
  while (offset < buffer.length) {
    const tag = read();
    const wire = tag & 7;
    if (wire === 0) {
      const value = read();
      if (tag >>> 3 === 1) status = value;
    } else if (wire === 2) {
      const length = read();
      offset += length;
    } else if (wire === 5) offset += 4;
    else if (wire === 1) offset += 8;
    else throw new Error(`unexpected wire type ${wire}`);
  }
  return status;
}

function varint(value: number): Buffer {
  const out: number[] = [];
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return Buffer.from(out);
}
