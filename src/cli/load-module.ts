import { isContract } from '../contract/define.js';
import { compareSemver } from '../contract/semver.js';
import type { AnyContract } from '../contract/types.js';
import { importModule } from './import-module.js';

/**
 * Every contract a module exports (named or default), each once, oldest version first. A module may
 * hold several (v1 and v2 of one service, or several services).

 */
export async function loadContracts(path: string): Promise<AnyContract[]> {
  const module = await importModule(path);
  const found = [...new Set(Object.values(module).filter(isContract))] as AnyContract[];
  if (found.length === 0) throw new Error(`${path} exports no contract (a value made by contract({...}))`);
  return found.sort((a, b) =>
    a.name === b.name ? compareSemver(a.version, b.version) : a.name < b.name ? -1 : 1,
  );
}

/**
 * The contracts `--contract` names: `orders` (every version of it), `orders@2` (its major 2) or
 * `orders@2.1.0` (that version). No selector picks everything.
 */
export function pickContracts<C extends Versioned>(
  contracts: readonly C[],
  selector: string | undefined,
): C[] {
  if (selector === undefined) return [...contracts];
  const [name, version] = selector.split('@');
  const picked = contracts.filter(
    (c) =>
      c.name === name &&
      (version === undefined ||
        (/^\d+$/.test(version) ? c.major === Number(version) : c.version === version)),
  );
  if (picked.length === 0)
    throw new Error(`no contract ${selector}; the module has ${contracts.map(label).join(', ')}`);
  return picked;
}

interface Versioned {
  readonly name: string;
  readonly version: string;
  readonly major: number;
}

export function label(contract: Versioned): string {
  return `${contract.name}@${contract.version}`;
}
