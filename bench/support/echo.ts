/**
 * The echo every remote benchmark sends: a small JSON object (five fields) in, the same object out.
 * Shared by the client (bench/cases) and the servers (bench/support/server.ts), so both sides of every
 * comparison carry exactly the same message.
 */
import protobuf from 'protobufjs';
import { Type, contract, exportProto, operation, type Static } from '../../src/contract/index.js';
import { grpcMethodPath } from '../../src/rpc/index.js';

export const Echo = Type.Object({
  id: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1 }),
  count: Type.Integer({ minimum: 0 }),
  urgent: Type.Boolean(),
  tags: Type.Array(Type.String(), { maxItems: 8 }),
});
export type Echo = Static<typeof Echo>;

export const EchoContract = contract({
  name: 'bench-echo',
  version: '1.0.0',
  operations: { echo: operation({ input: Echo, output: Echo }) },
});

/** Where the raw HTTP server listens and the raw client posts: the path Switchyard maps `echo` to. */
export const echoPath = '/v1/echo';

/** The same rules as `Echo`, in fastest-validator's language (Moleculer's default validator). */
export const echoParams = {
  id: { type: 'string', min: 1 },
  name: { type: 'string', min: 1 },
  count: { type: 'number', integer: true, min: 0 },
  urgent: { type: 'boolean' },
  tags: { type: 'array', max: 8, items: 'string' },
};

/** A few distinct inputs, used in turn, so no side sees one constant object. */
const inputs: Echo[] = Array.from({ length: 4 }, (_, i) => ({
  id: `order-${1000 + i}`,
  name: `caller-${i}`,
  count: i + 1,
  urgent: i % 2 === 0,
  tags: ['bench', `tag-${i}`, 'echo'],
}));

export function inputSource(): () => Echo {
  let i = 0;
  return () => inputs[i++ & 3]!;
}

/** Throws unless `output` is the echo of `input`: a side that answers wrongly must not be timed. */
export function checkEcho(input: Echo, output: unknown): void {
  if (JSON.stringify(output) !== JSON.stringify(input))
    throw new Error(
      `the echo came back different: sent ${JSON.stringify(input)}, got ${JSON.stringify(output)}`,
    );
}

/**
 * What a plain grpc-js user has: the exported `.proto` compiled by protobufjs, the method's path, and
 * (de)serializers as @grpc/proto-loader builds them (decode then `toObject` with int64 as numbers).
 */
export function rawProto() {
  const root = protobuf.parse(exportProto(EchoContract), { keepCase: true }).root.resolveAll();
  const pkg = EchoContract.protoPackage;
  const request = root.lookupType(`${pkg}.EchoRequest`);
  const response = root.lookupType(`${pkg}.EchoResponse`);
  const conversion: protobuf.IConversionOptions = { longs: Number };
  const codec = (type: protobuf.Type) => ({
    serialize: (value: unknown) => Buffer.from(type.encode(value as Record<string, unknown>).finish()),
    deserialize: (bytes: Buffer) => type.toObject(type.decode(bytes), conversion),
  });
  return { path: grpcMethodPath(EchoContract, 'echo'), request: codec(request), response: codec(response) };
}
