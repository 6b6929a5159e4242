import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'yaml';

/**
 * The gateway finds services through `discovery.hub` of its configuration, else the hub
 * `SWITCHYARD_HUB_URL` names, which `up` sets. So only a YAML configuration naming another hub is
 * worth a warning before starting. A module configuration is evaluated only by the gateway itself
 * and is not checked here.
 */
export function gatewayHubWarning(configFile: string, hubUrl: string): string | undefined {
  if (!['.yaml', '.yml'].includes(extname(configFile))) return undefined;
  let data: unknown;
  try {
    data = parse(readFileSync(configFile, 'utf8'));
  } catch {
    return undefined; // the gateway reports a broken file itself, with its line
  }
  const discovery = (data as { discovery?: { hub?: unknown; static?: unknown } } | null)?.discovery;
  const hub = discovery?.hub;
  const named = typeof hub === 'string' ? hub : (hub as { url?: unknown } | undefined)?.url;
  if (typeof named !== 'string' || named.replace(/\/+$/, '') === hubUrl) return undefined;
  return `the gateway config looks for the hub at ${named}, not at ${hubUrl}: set discovery.hub: ${hubUrl}`;
}
