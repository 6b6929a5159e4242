import type { AnyContract, InputOf, OutputOf } from '../../contract/index.js';

/** How one operation of the old version is served by the new one. */
export interface OperationAdapter<In = any, Out = any> {
  /** The operation of the new version that serves it; the same name by default. */
  readonly operation?: string;
  /** Old input → new input; the input as it is by default. */
  readonly request?: (input: In) => unknown;
  /** New output → old output; the output as it is by default. */
  readonly response?: (output: any) => Out;
}

/**
 * Serves an old major version of a contract with the backends of a new one: each request is
 * up-converted before the call and each answer down-converted after it, so old clients keep working
 * while only the new version runs. Declared next to the contracts it joins.
 */
export interface VersionAdapter {
  readonly kind: 'version-adapter';
  readonly from: AnyContract;
  readonly to: AnyContract;
  readonly operations: Readonly<Record<string, OperationAdapter>>;
}

export type OperationAdapters<From extends AnyContract> = {
  [K in keyof From['operations']]?: OperationAdapter<
    InputOf<From['operations'][K]>,
    OutputOf<From['operations'][K]>
  >;
};

export function versionAdapter<From extends AnyContract, To extends AnyContract>(options: {
  from: From;
  to: To;
  operations: OperationAdapters<From>;
}): VersionAdapter {
  const { from, to } = options;
  if (from.name !== to.name || from.major >= to.major)
    throw new Error(
      `a version adapter serves an older major of one contract by a newer one, not ${from.name}@${from.major} by ${to.name}@${to.major}`,
    );
  const operations: Record<string, OperationAdapter> = {};
  for (const name of Object.keys(from.operations)) {
    const adapter: OperationAdapter = (options.operations as Record<string, OperationAdapter>)[name] ?? {};
    const target = adapter.operation ?? name;
    if (!to.operations[target])
      throw new Error(
        `version adapter ${from.name}@${from.major} → @${to.major}: operation ${name} maps to ${target}, which v${to.major} does not have`,
      );
    operations[name] = { ...adapter, operation: target };
  }
  return Object.freeze({ kind: 'version-adapter', from, to, operations });
}

export function isVersionAdapter(value: unknown): value is VersionAdapter {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'version-adapter'
  );
}
