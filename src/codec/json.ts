import { malformed, unencodable, type Codec } from './codec.js';

// fatal: invalid UTF-8 is malformed input, not something to paper over with U+FFFD.
const decoder = new TextDecoder('utf-8', { fatal: true });

export const json: Codec = {
  contentType: 'application/json',
  encode(value) {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      throw unencodable('JSON', error);
    }
    // JSON.stringify returns undefined for undefined, functions and symbols: there is no JSON for them.
    if (text === undefined) throw unencodable('JSON', `${typeof value} has no JSON form`);
    return Buffer.from(text, 'utf8');
  },
  decode(bytes) {
    try {
      return JSON.parse(decoder.decode(bytes)) as unknown;
    } catch (error) {
      throw malformed('JSON', error);
    }
  },
};
