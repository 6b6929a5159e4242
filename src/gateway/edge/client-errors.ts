import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { problemContentType, SwitchyardError, toProblem } from '../../errors/index.js';

/**
 * Answers what Node's HTTP parser refuses before a request exists — headers too large, a client too
 * slow to send its request, malformed HTTP — with problem+json instead of a bare status line, then
 * closes the connection. Returns the status sent (0 when the connection was already gone).
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket, headerBytes: number): number {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return 0;
  }
  let status: number;
  let problem: SwitchyardError;
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    problem = new SwitchyardError('PAYLOAD_TOO_LARGE', `The request headers exceed ${headerBytes} bytes`, {
      details: { limit: 'headers', headerBytes },
    });
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    problem = new SwitchyardError('DEADLINE_EXCEEDED', 'The request was not received in time');
  } else {
    status = 400;
    problem = new SwitchyardError('INVALID_ARGUMENT', 'The request is not valid HTTP');
  }
  return writeRawProblem(socket, problem, { status });
}

/**
 * A problem+json answer written straight to a connection that has no response object (a parser error,
 * a refused WebSocket upgrade), which is then closed.
 */
export function writeRawProblem(
  socket: Duplex,
  error: SwitchyardError,
  options: { status?: number; headers?: readonly string[] } = {},
): number {
  const status = options.status ?? error.httpStatus;
  const body = JSON.stringify({ ...toProblem(error), status });
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: ${problemContentType}\r\n`;
  const headers = options.headers ?? [];
  for (let i = 0; i + 1 < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  socket.end(`${head}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  return status;
}
