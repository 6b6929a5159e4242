import { Decoder, Encoder } from '@msgpack/msgpack';
import { malformed, unencodable, type Codec } from './codec.js';

// One instance each: they keep their working buffers between calls, which is most of their speed.
// Both guard against re-entrant use, so sharing them is safe.
// ignoreUndefined: `{ note: undefined }` must mean "no note", as in JSON, not `note: null`.
const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

export const msgpack: Codec = {
  contentType: 'application/msgpack',
  encode(value) {
    try {
      return encoder.encode(value);
    } catch (error) {
      throw unencodable('MessagePack', error);
    }
  },
  decode(bytes) {
    try {
      return decoder.decode(bytes);
    } catch (error) {
      throw malformed('MessagePack', error);
    }
  },
};
