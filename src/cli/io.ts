import { stderr, stdout } from 'node:process';

/** Where a command writes. Colour only on a terminal and only when NO_COLOR is unset. */
export interface Io {
  readonly tty: boolean;
  out(line: string): void;
  err(line: string): void;
  style: {
    bold(text: string): string;
    dim(text: string): string;
    red(text: string): string;
    green(text: string): string;
    yellow(text: string): string;
  };
}

export function createIo(): Io {
  const tty = Boolean(stdout.isTTY) && process.env.NO_COLOR === undefined && process.env.CI === undefined;
  const paint = (open: number, close: number) => (text: string) =>
    tty ? `\x1b[${open}m${text}\x1b[${close}m` : text;
  return {
    tty,
    out: (line) => void stdout.write(line + '\n'),
    err: (line) => void stderr.write(line + '\n'),
    style: {
      bold: paint(1, 22),
      dim: paint(2, 22),
      red: paint(31, 39),
      green: paint(32, 39),
      yellow: paint(33, 39),
    },
  };
}
