import { registryPaths, type InstancesResponse } from '../../discovery/hub-api.js';
import type { Instance } from '../../discovery/types.js';

/** The HTTP requests `up` and `status` make to the hub and the processes; each bounded by a timeout. */

export async function httpOk(url: string, timeoutMs = 1_000): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  return response.ok;
}

/** The body of a 200 answer; undefined for any other answer. Throws when nothing answers. */
export async function fetchText(url: string, timeoutMs = 1_000): Promise<string | undefined> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (response.ok) return response.text();
  await response.body?.cancel();
  return undefined;
}

/** Every registered instance (in any health state), of one service or of all. */
export async function fetchInstances(
  hubUrl: string,
  options: { service?: string; timeoutMs?: number } = {},
): Promise<Instance[] | undefined> {
  const query = options.service === undefined ? '' : `?service=${encodeURIComponent(options.service)}`;
  const text = await fetchText(`${hubUrl}${registryPaths.instances}${query}`, options.timeoutMs);
  return text === undefined ? undefined : (JSON.parse(text) as InstancesResponse).instances;
}

/**
 * Ready, for `up`: the hub serves the instance as passing. Found by id among every service's, since a
 * manifest entry (a canary, say) may register under another service's name.
 */
export async function instancePassing(options: { hubUrl: string; id: string }): Promise<boolean> {
  const instances = await fetchInstances(options.hubUrl);
  return instances?.some((i) => i.id === options.id && i.health === 'passing') ?? false;
}
