import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toSnapshot, type ContractSnapshot } from '../snapshot.js';
import type { AnyContract } from '../types.js';
import { diffContracts, requiredBump } from './diff.js';
import { changeKinds, type ChangeKind } from './rules.js';
import { memberCases } from '../../../test/fixtures/evolution/member-cases.js';
import { requestCases } from '../../../test/fixtures/evolution/request-cases.js';
import { responseCases } from '../../../test/fixtures/evolution/response-cases.js';
import { svc, type Case } from '../../../test/fixtures/evolution/orders.js';

// Each case varies one thing of one base contract (test/fixtures/evolution/orders.ts) and names the
// exact changes (kind, class, location) and the bump they need.
const cases: Case[] = [
  { name: 'unchanged', old: svc(), next: svc(), expect: [], bump: 'none' },
  ...requestCases,
  ...responseCases,
  ...memberCases,
];

const isSnapshot = (side: AnyContract | ContractSnapshot): side is ContractSnapshot => 'snapshot' in side;

// Kinds this table leaves to schema-diff.test.ts (hand-written schemas, contract-level metadata).
const untested = new Set<ChangeKind>([
  'contract-renamed',
  'deprecation-changed',
  'request-schema-changed',
  'response-schema-changed',
  'response-constraint-changed',
]);

test('the table covers at least 40 cases and every change kind', () => {
  assert.ok(cases.length >= 40, `${cases.length} cases`);
  const seen = new Set(cases.flatMap((c) => c.expect.map(([kind]) => kind)));
  const missing = Object.keys(changeKinds).filter(
    (kind) => !seen.has(kind as ChangeKind) && !untested.has(kind as ChangeKind),
  );
  assert.deepEqual(missing, []);
});

for (const c of cases) {
  test(`diff: ${c.name}`, () => {
    const before = isSnapshot(c.old) ? c.old : toSnapshot(c.old);
    // As `check` does: the new version keeps the protobuf numbers of the one it follows.
    const after = isSnapshot(c.next) ? c.next : toSnapshot(c.next, before);
    const changes = diffContracts(before, after, c.now ? { now: c.now } : {});
    assert.deepEqual(
      changes.map((x) => [x.kind, x.class, x.location]),
      c.expect,
      changes.map((x) => `${x.location}: ${x.message}`).join('\n'),
    );
    for (const x of changes) assert.ok(x.message.length > 0);
    assert.equal(requiredBump(changes), c.bump);
  });
}
