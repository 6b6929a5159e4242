import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gatewayHubWarning } from './gateway-hub.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-gateway-hub-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('gatewayHubWarning', () => {
  const hub = 'http://127.0.0.1:7171';

  it('is quiet when the configuration names the hub up runs', () => {
    assert.equal(gatewayHubWarning(config('a.yaml', `discovery:\n  hub: ${hub}/\n`), hub), undefined);
    assert.equal(gatewayHubWarning(config('b.yaml', `discovery:\n  hub: { url: ${hub} }\n`), hub), undefined);
    assert.equal(gatewayHubWarning(config('c.yaml', 'routes: []\n'), 'http://127.0.0.1:7070'), undefined);
  });

  it('warns when the configuration names another hub', () => {
    assert.match(
      gatewayHubWarning(config('d.yaml', 'discovery:\n  hub: http://127.0.0.1:9999\n'), hub) ?? '',
      /127\.0\.0\.1:9999, not at http:\/\/127\.0\.0\.1:7171/,
    );
  });

  it('is quiet when the configuration names no hub: up hands it its own', () => {
    assert.equal(gatewayHubWarning(config('e.yaml', 'contracts: []\n'), hub), undefined);
  });

  it('does not judge static discovery, modules or broken files', () => {
    assert.equal(gatewayHubWarning(config('f.yaml', 'discovery:\n  static: {}\n'), hub), undefined);
    assert.equal(gatewayHubWarning(config('g.ts', 'export default {}'), hub), undefined);
    assert.equal(gatewayHubWarning(config('h.yaml', 'a: [\n'), hub), undefined);
  });
});
