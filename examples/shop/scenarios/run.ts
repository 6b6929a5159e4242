import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cli, shopOnFreePorts, waitForOutput } from '../testing.js';
import { shopOf, type Scenario } from './scenario.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const support = new Set(['scenario.ts', 'run.ts']);
export const scenarioNames = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !support.has(file))
  .map((file) => file.slice(0, -3))
  .sort();

/**
 * Starts the shop with `switchyard up` (on free ports, engines from the environment), runs the
 * scenarios one after the other against it, and stops it. Resolves with the names of those that failed.
 */
export async function runScenarios(
  names: readonly string[],
  options: { env?: Record<string, string>; print?: (line: string) => void } = {},
) {
  const print = options.print ?? ((line: string) => console.log(line));
  const unknown = names.filter((name) => !scenarioNames.includes(name));
  if (unknown.length > 0)
    throw new Error(`no scenario ${unknown.join(', ')} (there are: ${scenarioNames.join(', ')})`);
  const system = await shopOnFreePorts({ traffic: false });
  const up = cli(['up', system.file], options.env);
  const failed: string[] = [];
  const say = (line: string) => print(`    ${line}`);
  const shop = shopOf(`http://127.0.0.1:${system.gatewayPort}`, system.file, say, options.env);
  try {
    print('starting the shop…');
    await waitForOutput(up, 'Press Ctrl-C');
    for (const name of names) {
      const scenario = (await import(`./${name}.ts`)).default as Scenario;
      print(`▶ ${name}: ${scenario.description}`);
      try {
        await scenario.run(shop);
        print(`✔ ${name}`);
      } catch (error) {
        failed.push(name);
        print(`✖ ${name}: ${(error as Error).message}`);
      }
    }
  } finally {
    await shop.close();
    up.kill('SIGINT');
    if (up.exitCode === null) await once(up, 'exit');
    system.cleanup();
  }
  return failed;
}

// `npm run scenario -- <name>… | all`
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const asked = process.argv.slice(2);
  const names = asked.length === 0 || asked.includes('all') ? scenarioNames : asked;
  const failed = await runScenarios(names);
  process.exitCode = failed.length === 0 ? 0 : 1;
}
