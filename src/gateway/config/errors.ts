/** A configuration problem, reported as `file:line: reason`; on reload the running configuration stays. */
export class GatewayConfigError extends Error {
  override readonly name = 'GatewayConfigError';
}

/** Where a setting is written: `gateway.yaml:14` for YAML, `gateway.ts (routes/2/operation)` otherwise. */
export type Locate = (path: readonly (string | number)[], options?: { key?: boolean }) => string;

export function configError(locate: Locate, path: readonly (string | number)[], reason: string): never {
  throw new GatewayConfigError(`${locate(path)}: ${reason}`);
}
