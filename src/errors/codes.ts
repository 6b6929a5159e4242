/**
 * The closed set of error codes. A code is never reused or renamed: clients across processes and
 * versions branch on it. Each code carries its HTTP status (RFC 9457 problem details) and gRPC status.
 */
export interface CodeInfo {
  readonly http: number;
  readonly grpc: number;
  /** Whether a caller may retry the same request unchanged, whatever the operation. */
  readonly retryable: boolean;
  readonly title: string;
}

export const codes = {
  CANCELLED: { http: 499, grpc: 1, retryable: false, title: 'The caller cancelled the request' },
  UNKNOWN: { http: 500, grpc: 2, retryable: false, title: 'Unknown error' },
  INVALID_ARGUMENT: { http: 400, grpc: 3, retryable: false, title: 'The request is invalid' },
  DEADLINE_EXCEEDED: { http: 504, grpc: 4, retryable: true, title: 'The deadline expired' },
  NOT_FOUND: { http: 404, grpc: 5, retryable: false, title: 'Not found' },
  ALREADY_EXISTS: { http: 409, grpc: 6, retryable: false, title: 'Already exists' },
  PERMISSION_DENIED: { http: 403, grpc: 7, retryable: false, title: 'Permission denied' },
  RESOURCE_EXHAUSTED: { http: 429, grpc: 8, retryable: true, title: 'Resource exhausted' },
  FAILED_PRECONDITION: { http: 412, grpc: 9, retryable: false, title: 'Failed precondition' },
  ABORTED: { http: 409, grpc: 10, retryable: true, title: 'Aborted by a conflict' },
  OUT_OF_RANGE: { http: 400, grpc: 11, retryable: false, title: 'Out of range' },
  UNIMPLEMENTED: { http: 501, grpc: 12, retryable: false, title: 'Not implemented' },
  INTERNAL: { http: 500, grpc: 13, retryable: false, title: 'Internal error' },
  UNAVAILABLE: { http: 503, grpc: 14, retryable: true, title: 'The service is unavailable' },
  DATA_LOSS: { http: 500, grpc: 15, retryable: false, title: 'Data loss' },
  UNAUTHENTICATED: { http: 401, grpc: 16, retryable: false, title: 'Not authenticated' },
  // Switchyard's own, raised by client-side policies before a call leaves the process.
  CIRCUIT_OPEN: { http: 503, grpc: 14, retryable: false, title: 'The circuit breaker is open' },
  BULKHEAD_FULL: { http: 503, grpc: 8, retryable: false, title: 'Too many calls in flight' },
  PAYLOAD_TOO_LARGE: { http: 413, grpc: 8, retryable: false, title: 'The body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, grpc: 3, retryable: false, title: 'Unsupported content type' },
  NOT_ACCEPTABLE: { http: 406, grpc: 3, retryable: false, title: 'No acceptable content type' },
  GONE: { http: 410, grpc: 5, retryable: false, title: 'The API version was sunset' },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof codes;

export const allCodes = Object.keys(codes) as Code[];

export function isCode(value: unknown): value is Code {
  return typeof value === 'string' && Object.hasOwn(codes, value);
}

const grpcToCode = new Map<number, Code>();
for (const code of allCodes) if (!grpcToCode.has(codes[code].grpc)) grpcToCode.set(codes[code].grpc, code);

/** The canonical code for a gRPC status (the first code declared with that status). */
export function codeFromGrpc(status: number): Code {
  return grpcToCode.get(status) ?? 'UNKNOWN';
}

const httpToCode: Record<number, Code> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  406: 'NOT_ACCEPTABLE',
  409: 'ALREADY_EXISTS',
  410: 'GONE',
  412: 'FAILED_PRECONDITION',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** The code for an HTTP status of a response that carried no problem document of ours. */
export function codeFromHttp(status: number): Code {
  return httpToCode[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
}
