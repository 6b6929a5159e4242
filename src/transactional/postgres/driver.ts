import type pgModule from 'pg';
import { SwitchyardError } from '../../errors/index.js';

export type Pg = typeof pgModule;

let loading: Promise<Pg> | undefined;

/** node-postgres, loaded on first use: it is an optional peer dependency. */
export function loadPg(): Promise<Pg> {
  loading ??= import('pg').then(
    (mod) => (mod as { default?: Pg }).default ?? (mod as unknown as Pg),
    (error: unknown) => {
      loading = undefined;
      throw new SwitchyardError(
        'FAILED_PRECONDITION',
        'The PostgreSQL outbox and inbox need the `pg` package installed',
        { cause: error },
      );
    },
  );
  return loading;
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

/** A schema or object name, checked (lower-case, no quoting surprises) and quoted. */
export function quoteIdentifier(name: string, what: string): string {
  if (!identifier.test(name))
    throw new SwitchyardError('INVALID_ARGUMENT', `${what} must match ${identifier.source}: ${name}`, {
      details: { [what]: name },
    });
  return `"${name}"`;
}
