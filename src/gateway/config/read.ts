import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LineCounter, isMap, isScalar, parseDocument, type Document } from 'yaml';
import { isContract, validator, type AnyContract } from '../../contract/index.js';
import { importTypeScript } from '../../internal/import-typescript.js';
import type { GatewayConfig, ModuleImporter, ServedContract } from '../types.js';
import { isVersionAdapter, type VersionAdapter } from '../versions/adapter.js';
import { configError, GatewayConfigError, type Locate } from './errors.js';
import { GatewayFileSchema, type GatewayFile } from './schema.js';

/** A configuration read, checked and with its modules loaded: what a gateway generation is built from. */
export interface LoadedConfig {
  readonly file: string;
  readonly dir: string;
  readonly data: GatewayFile;
  readonly contracts: readonly ServedContract[];
  readonly adapters: readonly VersionAdapter[];
  readonly locate: Locate;
}

export interface LoadOptions {
  /** A YAML (`.yaml`, `.yml`) or module (`.ts`, `.js`, …) file… */
  file?: string;
  /** …or the configuration itself (relative module paths resolve from `dir`, the working directory by default). */
  config?: GatewayConfig;
  dir?: string;
  importModule?: ModuleImporter;
}

let evaluation = 0;

/**
 * Imports a module afresh, so a reload sees the file as it is now: JavaScript with a query string
 * (a new module record), TypeScript bundled again (with the files it imports) and evaluated anew.
 */
export const freshImport: ModuleImporter = async (path) => {
  if (!existsSync(path)) throw new Error(`${path}: no such file`);
  const url = pathToFileURL(path).href;
  if (!/\.[cm]?tsx?$/.test(path))
    return (await import(`${url}?v=${++evaluation}`)) as Record<string, unknown>;
  return importTypeScript(path, { fresh: true });
};

export async function loadGatewayConfig(options: LoadOptions): Promise<LoadedConfig> {
  const importModule = options.importModule ?? freshImport;
  if (options.config) {
    const dir = resolve(options.dir ?? '.');
    const locate: Locate = (path) => `gateway config (${path.join('/') || 'top'})`;
    return resolveConfig(options.config, { file: '<config>', dir, locate, importModule });
  }
  if (!options.file) throw new GatewayConfigError('a gateway needs a configuration file or object');
  const file = resolve(options.file);
  const dir = dirname(file);
  const extension = extname(file);
  if (extension === '.yaml' || extension === '.yml') {
    const { data, locate } = readYaml(options.file, file);
    return resolveConfig(data as GatewayConfig, { file, dir, locate, importModule });
  }
  let module: Record<string, unknown>;
  try {
    module = await importModule(file);
  } catch (error) {
    throw new GatewayConfigError(`${options.file}: cannot load: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let config = (module.default ?? module.config) as GatewayConfig | undefined;
  // A module compiled as CommonJS arrives wrapped once more; a configuration has no `default` key.
  if (config && typeof config === 'object' && 'default' in config)
    config = (config as { default: GatewayConfig }).default;
  if (typeof config !== 'object' || config === null)
    throw new GatewayConfigError(
      `${options.file}: export the configuration as default (defineGateway({...}))`,
    );
  const locate: Locate = (path) => `${options.file} (${path.join('/') || 'top'})`;
  return resolveConfig(config, { file, dir, locate, importModule });
}

function readYaml(shown: string, file: string): { data: unknown; locate: Locate } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new GatewayConfigError(`${shown}: cannot read the file`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lines.linePos(offset).line);
  if (doc.errors.length > 0)
    throw new GatewayConfigError(`${shown}:${lineOf(doc.errors[0]!.pos[0])}: ${doc.errors[0]!.message}`);
  const locate: Locate = (path, options) => {
    const last = path[path.length - 1];
    const key =
      options?.key && last !== undefined ? keyOffset(doc, path.slice(0, -1), String(last)) : undefined;
    return `${shown}:${lineOf(key ?? offsetOf(doc, path))}`;
  };
  return { data: doc.toJS() ?? {}, locate };
}

/** The offset of the deepest node of `path` the document has (a missing key points at its parent). */
function offsetOf(doc: Document, path: readonly (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number] } | undefined;
    if (node?.range) return node.range[0];
  }
  return undefined;
}

/** The line of a key (for "unknown key" errors, where the value's line would mislead). */
function keyOffset(doc: Document, path: readonly (string | number)[], key: string): number | undefined {
  const map = doc.getIn(path, true);
  if (!isMap(map)) return undefined;
  const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
  return isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
}

interface Where {
  file: string;
  dir: string;
  locate: Locate;
  importModule: ModuleImporter;
}

async function resolveConfig(config: GatewayConfig, where: Where): Promise<LoadedConfig> {
  const { locate } = where;
  // Contract objects and adapters (TypeScript configurations) are taken out before the data is checked.
  const inlineContracts: { contract: AnyContract; protocol?: 'http' | 'grpc' }[] = [];
  const inlineAdapters: VersionAdapter[] = [];
  const data: Record<string, unknown> = { ...config };
  if (Array.isArray(config.contracts)) {
    data.contracts = config.contracts.filter((entry) => {
      if (isContract(entry)) inlineContracts.push({ contract: entry });
      else if (isContract((entry as { contract?: unknown }).contract))
        inlineContracts.push(entry as { contract: AnyContract; protocol?: 'http' | 'grpc' });
      else return true;
      return false;
    });
  }
  if (Array.isArray(config.versions)) {
    data.versions = config.versions.filter((entry) => {
      const adapter = (entry as { adapter?: unknown }).adapter;
      if (!isVersionAdapter(adapter)) return true;
      inlineAdapters.push(adapter);
      return false;
    });
  }
  checkSchema(data, locate);
  const checked = data as GatewayFile;

  const served = new Map<string, ServedContract>();
  const serve = (contract: AnyContract, protocol: 'http' | 'grpc', at: (string | number)[]) => {
    const key = `${contract.name}@${contract.major}`;
    const previous = served.get(key);
    if (previous && previous.contract.version !== contract.version)
      configError(
        locate,
        at,
        `${key} is loaded twice, as ${previous.contract.version} and ${contract.version}`,
      );
    served.set(key, { contract, protocol });
  };
  for (const entry of inlineContracts) serve(entry.contract, entry.protocol ?? 'http', ['contracts']);
  for (const [i, raw] of (checked.contracts ?? []).entries()) {
    const entry = typeof raw === 'string' ? { module: raw } : raw;
    const module = await load(where, entry.module, ['contracts', i]);
    let found = [...new Set(Object.values(module).filter(isContract))] as AnyContract[];
    if (found.length === 0) configError(locate, ['contracts', i], `${entry.module} exports no contract`);
    if (entry.only) {
      const only = entry.only;
      found = found.filter((c) => only.includes(c.name) || only.includes(`${c.name}@${c.major}`));
      if (found.length === 0)
        configError(locate, ['contracts', i, 'only'], `${entry.module} has none of ${only.join(', ')}`);
    }
    for (const contract of found) serve(contract, entry.protocol ?? 'http', ['contracts', i]);
  }

  const adapters = [...inlineAdapters];
  for (const [i, version] of (checked.versions ?? []).entries()) {
    const module = await load(where, version.adapter, ['versions', i, 'adapter']);
    const adapter = module.default ?? Object.values(module).find(isVersionAdapter);
    if (!isVersionAdapter(adapter))
      configError(locate, ['versions', i, 'adapter'], `${version.adapter} exports no versionAdapter(...)`);
    const from = `${adapter.from.name}@${adapter.from.major}`;
    const to = `${adapter.to.name}@${adapter.to.major}`;
    if (from !== version.serve || to !== version.by)
      configError(
        locate,
        ['versions', i],
        `${version.adapter} adapts ${from} to ${to}, not ${version.serve} to ${version.by}`,
      );
    adapters.push(adapter);
  }
  // An adapter names both its versions: they are served whether or not a contracts entry lists them.
  for (const adapter of adapters) {
    for (const contract of [adapter.from, adapter.to]) {
      const key = `${contract.name}@${contract.major}`;
      if (!served.has(key)) serve(contract, 'http', ['versions']);
    }
  }
  return {
    file: where.file,
    dir: where.dir,
    data: checked,
    contracts: [...served.values()],
    adapters,
    locate,
  };
}

function checkSchema(data: unknown, locate: Locate): void {
  const check = validator(GatewayFileSchema);
  if (check.check(data)) return;
  const v = check.violations(data, 1)[0]!;
  const segments = v.path
    .split('/')
    .filter(Boolean)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  if (v.rule === 'additionalProperties') {
    const key = String(segments[segments.length - 1]);
    throw new GatewayConfigError(`${locate(segments, { key: true })}: unknown key ${JSON.stringify(key)}`);
  }
  throw new GatewayConfigError(`${locate(segments)}: ${v.path}: ${v.message}`);
}

async function load(where: Where, path: string, at: (string | number)[]): Promise<Record<string, unknown>> {
  try {
    return await where.importModule(resolve(where.dir, path));
  } catch (error) {
    configError(where.locate, at, `cannot load ${path}: ${(error as Error).message}`);
  }
}
