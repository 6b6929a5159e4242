import { codeFromHttp, codes, isCode } from './codes.js';
import { SwitchyardError, type ErrorDetails } from './switchyard-error.js';

export const problemContentType = 'application/problem+json';

/** RFC 9457 problem details, with our stable code as an extension member. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  retryable?: boolean;
  details?: ErrorDetails;
  [extension: string]: unknown;
}

const typeBase = 'https://switchyard.dev/errors/';

export function toProblem(error: SwitchyardError, instance?: string): Problem {
  const problem: Problem = {
    type: typeBase + error.code.toLowerCase().replaceAll('_', '-'),
    title: codes[error.code].title,
    status: error.httpStatus,
    detail: error.message,
    code: error.code,
    retryable: error.retryable,
  };
  if (Object.keys(error.details).length > 0) problem.details = error.details;
  if (instance !== undefined) problem.instance = instance;
  return problem;
}

/** Reads a problem document (ours or anyone's) back into a SwitchyardError. */
export function fromProblem(status: number, body: unknown): SwitchyardError {
  const p = (typeof body === 'object' && body !== null ? body : {}) as Partial<Problem>;
  const code = isCode(p.code) ? p.code : codeFromHttp(status);
  const message =
    typeof p.detail === 'string' ? p.detail : typeof p.title === 'string' ? p.title : `HTTP ${status}`;
  return new SwitchyardError(code, message, {
    details: (p.details as ErrorDetails | undefined) ?? {},
    ...(typeof p.retryable === 'boolean' ? { retryable: p.retryable } : {}),
  });
}
