import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { engineSets } from '../testing.js';
import { runScenarios, scenarioNames } from './run.js';

/** Every scenario, through `npm run scenario`'s runner, on the embedded defaults and on the real engines. */
for (const engines of engineSets())
  describe(`shop scenarios on ${engines.name}`, () => {
    after(() => engines.cleanup());

    it(`all pass: ${scenarioNames.join(', ')}`, async () => {
      const lines: string[] = [];
      const failed = await runScenarios(scenarioNames, {
        env: engines.env,
        print: (line) => lines.push(line),
      });
      assert.deepEqual(failed, [], lines.join('\n'));
    });
  });
