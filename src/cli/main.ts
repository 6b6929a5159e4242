import { commands, type CommandName } from './commands/index.js';
import { createIo } from './io.js';

const io = createIo();
const [name, ...args] = process.argv.slice(2);

function usage(): string {
  const lines = Object.entries(commands).map(([key, cmd]) => `  ${key.padEnd(10)} ${cmd.summary}`);
  return ['Usage: switchyard <command> [options]', '', 'Commands:', ...lines].join('\n');
}

if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
  io.out(usage());
  process.exit(name === undefined ? 2 : 0);
}
if (name === '--version') {
  const { createRequire } = await import('node:module');
  io.out((createRequire(import.meta.url)('../../package.json') as { version: string }).version);
  process.exit(0);
}
if (!Object.hasOwn(commands, name)) {
  io.err(`switchyard: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
  process.exit(2);
}
try {
  const command = commands[name as CommandName];
  process.exitCode = await (await command.load()).run(args, io);
} catch (error) {
  io.err(`switchyard ${name}: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
