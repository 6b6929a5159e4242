// How a failed request is named in the error breakdown. By status and stable code, never by message
// text: messages carry ids and numbers, so every failure would get a row of its own.

/** The label of the settle error. */
export const notSettled = 'not settled';

/** `503 UNAVAILABLE` when the body (a problem document, usually) has a string `code`; else `503`. */
export function statusLabel(status: number, body: unknown): string {
  const code = typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code !== '' ? `${status} ${code}` : String(status);
}

/**
 * A request that got no answer, by its system or undici code (`ECONNREFUSED`, `UND_ERR_SOCKET`,
 * `UND_ERR_HEADERS_TIMEOUT`, …); a connection attempt over several addresses fails with an
 * AggregateError whose code is that of its parts.
 */
export function transportLabel(error: unknown): string {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    e = e instanceof AggregateError && e.errors.length > 0 ? e.errors[0] : e.cause;
  }
  return error instanceof Error ? error.name : 'unknown error';
}

/** A body's JSON value when its content type says JSON (`application/json`, `…+json`); else undefined. */
export function jsonBody(contentType: string | string[] | undefined, text: string): unknown {
  const type = (Array.isArray(contentType) ? contentType[0] : contentType)?.split(';')[0]?.trim();
  if (type === undefined || !/^application\/(?:[\w.-]+\+)?json$/i.test(type) || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** 2xx and 3xx answers are successes (a redirect is an answer the mix asked for, not followed). */
export const isSuccess = (status: number): boolean => status >= 200 && status < 400;
