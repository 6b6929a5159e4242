import { SwitchyardError } from '../errors/index.js';
import type { Io } from './io.js';

/** Prints an error as `switchyard <command>: CODE: message`, its violations and other details; returns 1. */
export function failed(io: Io, command: string, error: unknown): number {
  if (!(error instanceof SwitchyardError)) {
    io.err(`switchyard ${command}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  // A driver's own error (connection refused, …) says what went wrong underneath.
  const cause =
    error.cause instanceof Error && !(error.cause instanceof SwitchyardError) ? error.cause.message : '';
  io.err(`switchyard ${command}: ${error.code}: ${error.message}${cause && ` (${cause})`}`);
  const { violations, ...rest } = error.details;
  for (const v of violations ?? []) io.err(`  ${v.path || '/'}: ${v.message}`);
  if (Object.keys(rest).length > 0) io.err(io.style.dim(`  details: ${JSON.stringify(rest)}`));
  return 1;
}

/** Prints what was wrong with the command line, then the help; returns 2. */
export function usage(io: Io, command: string, help: string, problem: string): number {
  io.err(`switchyard ${command}: ${problem}\n\n${help}`);
  return 2;
}

/**
 * Runs a command's `parseArgs`; answers `--help` (exit 0) and a bad command line (exit 2) itself,
 * returning the exit code instead of the arguments.
 */
export function parseCommand<T extends { values: { help?: boolean } }>(
  io: Io,
  command: string,
  help: string,
  parse: () => T,
): T | number {
  let parsed: T;
  try {
    parsed = parse();
  } catch (error) {
    return usage(io, command, help, (error as Error).message);
  }
  if (!parsed.values.help) return parsed;
  io.out(help);
  return 0;
}

/** Positive integer option, or undefined when absent. */
export function positiveInt(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new SwitchyardError('INVALID_ARGUMENT', `--${option} must be a positive integer, not ${value}`);
  return n;
}
