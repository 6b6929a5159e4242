// Every option the messaging commands accept is described in docs/messaging-cli.md.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import type { Io } from '../../src/cli/io.js';

const plain = (text: string) => text;
function capture(): { io: Io; text: () => string } {
  const lines: string[] = [];
  const io: Io = {
    tty: false,
    out: (line) => void lines.push(line),
    err: (line) => void lines.push(line),
    style: { bold: plain, dim: plain, red: plain, green: plain, yellow: plain },
  };
  return { io, text: () => lines.join('\n') };
}

it('documents every option of publish, tail and dlq in docs/messaging-cli.md', async () => {
  const doc = readFileSync(new URL('../../docs/messaging-cli.md', import.meta.url), 'utf8');
  for (const name of ['publish', 'tail', 'dlq']) {
    const { run } = (await import(`../../src/cli/commands/${name}.js`)) as {
      run(args: string[], io: Io): Promise<number>;
    };
    const { io, text } = capture();
    assert.equal(await run(['--help'], io), 0);
    const options = new Set(text().match(/--[a-z][a-z-]+/g));
    assert.ok(options.size > 2, `${name} --help lists its options`);
    for (const option of options)
      assert.match(doc, new RegExp(`${option}(?![a-z-])`), `${name} ${option} is not documented`);
  }
});
