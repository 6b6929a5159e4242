export type { Codec } from './codec.js';
export { json } from './json.js';
export { msgpack } from './msgpack.js';
export { protobufCodecs, protobufContentType, type ProtobufCodec, type ProtobufCodecs } from './protobuf.js';
export { codecForContentType, negotiateAccept, defaultCodecs } from './negotiate.js';
