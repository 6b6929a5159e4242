import type { SwitchyardError } from '../../errors/index.js';

/** What an answer needs beyond the error's code: HTTP's more precise status, and headers. */
export interface HttpDetail {
  readonly status?: number;
  readonly headers?: readonly string[];
}

const details = new WeakMap<SwitchyardError, HttpDetail>();

/** Marks an error with the status and headers its answer carries (405 with `Allow`, 431, 410 with `Link`). */
export function withHttp(error: SwitchyardError, detail: HttpDetail): SwitchyardError {
  details.set(error, detail);
  return error;
}

export function httpDetailOf(error: SwitchyardError): HttpDetail | undefined {
  return details.get(error);
}
