import type { IncomingMessage } from 'node:http';
import { SwitchyardError } from '../../errors/index.js';

export function tooLarge(limit: number): SwitchyardError {
  return new SwitchyardError('PAYLOAD_TOO_LARGE', `The body exceeds the limit of ${limit} bytes`, {
    details: { limitBytes: limit },
  });
}

/** Requests whose connection cannot carry another request: answer with `connection: close`. */
const cutOff = new WeakSet<IncomingMessage>();

export function mustClose(req: IncomingMessage): boolean {
  return cutOff.has(req);
}

/**
 * Reads a request body of at most `limit` bytes. A declared `Content-Length` over the limit fails
 * before a byte is read; a body that grows past it (chunked) fails at the chunk that crosses it.
 * Nothing more is kept. A client still sending when the 413 goes out would see its connection reset
 * before it reads the answer, so up to `lingerBytes` more are read and dropped (the connection stays
 * usable); a body larger than that is cut off and the connection closed.
 */
export function readBody(req: IncomingMessage, limit: number, lingerBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    if (Number(declared) - limit > lingerBytes) cutOff.add(req);
    else discard(req, lingerBytes);
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // The listeners are never removed, which costs more per request than leaving them: once the
    // body is settled they do nothing, and they go with the request.
    let settled = false;
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) {
        settled = true;
        discard(req, lingerBytes);
        reject(tooLarge(limit));
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', () => {
      if (settled) return;
      settled = true;
      reject(goneWhileSending());
    });
    req.on('close', () => {
      if (settled) return;
      settled = true;
      reject(goneWhileSending());
    });
  });
}

function goneWhileSending(): SwitchyardError {
  return new SwitchyardError('CANCELLED', 'The client went away while sending the body');
}

/** Drops the rest of the body as it arrives, and the connection once more than `max` bytes came. */
function discard(req: IncomingMessage, max: number): void {
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > max) req.socket.destroy();
  });
  req.on('error', () => {}); // a reset while dropping is the expected end of an abusive upload
}
