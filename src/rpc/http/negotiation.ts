import { codecForContentType, negotiateAccept, type Codec } from '../../codec/index.js';

/** Distinct header values remembered; a client sends the same few, an attacker many (then we start over). */
const maxEntries = 64;

/**
 * Content negotiation with memory. Clients send the same `Accept` and `Content-Type` on every
 * request, so each distinct header value is parsed once per server instead of once per request.
 */
export function negotiation(codecs: readonly Codec[]) {
  const accepts = new Map<string, Codec | null>();
  const types = new Map<string, Codec | null>();
  const remember = (map: Map<string, Codec | null>, key: string, codec: Codec | undefined) => {
    if (map.size >= maxEntries) map.clear();
    map.set(key, codec ?? null);
    return codec;
  };
  return {
    /** The codec to answer with; undefined means 406. */
    accept(header: string | undefined): Codec | undefined {
      if (header === undefined) return negotiateAccept(undefined, codecs);
      const known = accepts.get(header);
      return known === undefined
        ? remember(accepts, header, negotiateAccept(header, codecs))
        : (known ?? undefined);
    },
    /** The codec to read the body with; undefined means 415. */
    contentType(header: string | undefined): Codec | undefined {
      if (header === undefined) return codecForContentType(undefined, codecs);
      const known = types.get(header);
      return known === undefined
        ? remember(types, header, codecForContentType(header, codecs))
        : (known ?? undefined);
    },
  };
}
