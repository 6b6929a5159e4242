// `switchyard status` and `switchyard logs` against a system `switchyard up` runs.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli, start, statusRows, system } from './support.js';

describe('switchyard status and logs', () => {
  it(
    'show a running system, its traffic and its logs, and say when it is not running',
    { timeout: 180_000 },
    async () => {
      const sys = await system({ replicas: 2 });
      const up = start(['up', sys.file]);
      try {
        await up.waitFor(/is up: 3 processes/);
        assert.ok(existsSync(join(sys.state, 'system.json')));

        const first = await statusRows(sys.file);
        assert.deepEqual(
          first.map((r) => [r.name, r.state]),
          [
            ['hub', 'ready'],
            ['consumers-1', 'ready'],
            ['consumers-2', 'ready'],
          ],
        );
        for (const row of first.slice(1)) {
          assert.equal(row.health, 'passing');
          assert.ok(row.rssBytes! > 0, `${row.name} reports its memory`);
        }

        // Calls through `switchyard call`, then more straight to the instances while status samples.
        for (const id of ['c-alice', 'c-nobody'])
          await cli([
            'call',
            'consumers.getConsumer',
            JSON.stringify({ consumerId: id }),
            '--hub',
            sys.hubUrl,
          ]);
        const instances = (await (await fetch(`${sys.hubUrl}/v1/registry/instances`)).json()) as {
          instances: { endpoints: { http: string } }[];
        };
        let calling = true;
        const load = (async () => {
          while (calling)
            for (const instance of instances.instances)
              await (await fetch(`http://${instance.endpoints.http}/v1/consumers/c-alice`)).body?.cancel();
        })();
        const rows = await statusRows(sys.file).finally(() => (calling = false));
        await load;
        const consumers = rows.filter((r) => r.name.startsWith('consumers-'));
        const total = (key: 'requests' | 'errors') => consumers.reduce((n, r) => n + (r[key] ?? 0), 0);
        assert.ok(total('requests') >= 2, JSON.stringify(consumers));
        assert.ok(total('errors') >= 1, 'c-nobody is NOT_FOUND: an error');
        assert.ok(
          consumers.every((r) => r.requestsPerSecond! > 0),
          JSON.stringify(consumers),
        );
        assert.ok(consumers.every((r) => r.consumerLag === null && r.outboxBacklog === null));

        const table = await cli(['status', sys.file]);
        assert.equal(table.code, 0, table.output);
        assert.match(table.output, /^PROCESS +STATE +HEALTH +REQ\/S +ERR\/S +LAG +BACKLOG +RSS +RESTARTS$/m);
        assert.match(table.output, /^consumers-2 +ready +passing +\d+\.\d +\d+\.\d +- +- +[\d.]+ MiB +0$/m);

        const logs = await cli(['logs', 'consumers', '--lines', '5', '--manifest', sys.file]);
        assert.equal(logs.code, 0, logs.output);
        const lines = logs.output.trimEnd().split('\n');
        assert.ok(lines.length > 0 && lines.length <= 10, logs.output);
        assert.ok(
          lines.every((l) => /^consumers-[12] \| /.test(l)),
          logs.output,
        );
        assert.match(logs.output, /^consumers-2 \| consumers-2 listening on http:/m);
        const unknown = await cli(['logs', 'payments', '--manifest', sys.file]);
        assert.equal(unknown.code, 2);
        assert.match(unknown.output, /known: consumers, hub, consumers-1, consumers-2/);

        up.kill('SIGINT');
        assert.equal(await up.exited, 0, up.output());
        assert.match(up.output(), /consumers-2: exit code 0[\s\S]*consumers-1: exit code 0[\s\S]*hub: exit/);
        assert.ok(!existsSync(join(sys.state, 'system.json')));
        const after = await cli(['status', sys.file]);
        assert.equal(after.code, 3);
        assert.equal(after.output.trim(), `${sys.name} is not running`);
        // Logs outlive the run.
        const kept = await cli(['logs', 'hub', '--lines', '1', '--manifest', sys.file]);
        assert.equal(kept.code, 0, kept.output);
        assert.match(kept.output, /^hub \| /);
      } finally {
        up.kill('SIGKILL');
        sys.cleanup();
      }
    },
  );
});
