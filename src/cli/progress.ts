import type { Io } from './io.js';

export interface Progress {
  update(text: string): void;
  done(text: string): void;
  fail(text: string): void;
}

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A spinner on a terminal; plain lines otherwise (one per state change, no colour, no carriage
 * returns), so logs of CI runs stay readable.
 */
export function progress(io: Io, text: string): Progress {
  if (!io.tty) {
    io.out(`${text}…`);
    let last = text;
    return {
      update: (next) => {
        if (next !== last) io.out(`${(last = next)}…`);
      },
      done: (line) => io.out(`ok: ${line}`),
      fail: (line) => io.err(`failed: ${line}`),
    };
  }
  let current = text;
  let frame = 0;
  const draw = () =>
    process.stdout.write(`\r\x1b[2K${io.style.dim(frames[frame++ % frames.length]!)} ${current}`);
  draw();
  const timer = setInterval(draw, 80);
  timer.unref();
  const finish = (line: string) => {
    clearInterval(timer);
    process.stdout.write('\r\x1b[2K');
    io.out(line);
  };
  return {
    update: (next) => void (current = next),
    done: (line) => finish(`${io.style.green('✓')} ${line}`),
    fail: (line) => finish(`${io.style.red('✗')} ${line}`),
  };
}
