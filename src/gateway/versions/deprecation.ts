import type { AnyContract, Deprecation as DeprecationMeta } from '../../contract/index.js';
import { SwitchyardError } from '../../errors/index.js';

/** What a deprecated version or operation answers with, computed once per configuration. */
export interface Deprecation {
  /** `orders@1`, for the usage metric. */
  readonly version: string;
  /** `Deprecation`, `Sunset` and `Link` headers, as name/value pairs. */
  readonly headers: readonly string[];
  /** Epoch ms after which the route answers 410 Gone. */
  readonly sunsetAt: number | undefined;
  /** Path of the same operation in the newest version served, if any. */
  readonly successor: string | undefined;
}

/**
 * The deprecation of an operation: its own, else its contract version's. Headers per RFC 9745
 * (`Deprecation: @<epoch seconds>`), RFC 8594 (`Sunset: <HTTP-date>`) and RFC 8288 links to the
 * deprecation notice and to the successor version.
 */
export function deprecationOf(
  contract: AnyContract,
  operation: string,
  successor: string | undefined,
): Deprecation | undefined {
  const meta: DeprecationMeta | undefined = contract.operations[operation]?.deprecated ?? contract.deprecated;
  if (!meta) return undefined;
  const headers = ['deprecation', `@${Math.floor(Date.parse(meta.since) / 1000)}`];
  const sunsetAt = meta.sunset === undefined ? undefined : Date.parse(meta.sunset);
  if (sunsetAt !== undefined) headers.push('sunset', new Date(sunsetAt).toUTCString());
  if (meta.link !== undefined) headers.push('link', `<${meta.link}>; rel="deprecation"; type="text/html"`);
  if (successor !== undefined) headers.push('link', `<${successor}>; rel="successor-version"`);
  return { version: `${contract.name}@${contract.major}`, headers, sunsetAt, successor };
}

/** GONE once the sunset has passed, pointing to the successor. */
export function sunsetError(deprecation: Deprecation, now: number): SwitchyardError | undefined {
  if (deprecation.sunsetAt === undefined || now < deprecation.sunsetAt) return undefined;
  const successor = deprecation.successor;
  return new SwitchyardError(
    'GONE',
    `${deprecation.version} was sunset on ${new Date(deprecation.sunsetAt).toUTCString()}` +
      (successor ? `; use ${successor}` : ''),
    {
      details: { sunset: new Date(deprecation.sunsetAt).toISOString(), ...(successor ? { successor } : {}) },
    },
  );
}
