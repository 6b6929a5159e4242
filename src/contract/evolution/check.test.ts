import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type, type TProperties } from '@sinclair/typebox';
import { contract, operation } from '../define.js';
import { toSnapshot } from '../snapshot.js';
import { checkContract } from './check.js';
import { formatCheck } from './report.js';

const base = (): TProperties => ({ orderId: Type.String() });

function orders(version: string, output: TProperties = base(), description?: string) {
  return contract({
    name: 'orders',
    version,
    ...(description ? { description } : {}),
    operations: {
      getOrder: operation({ input: Type.Object({ orderId: Type.String() }), output: Type.Object(output) }),
    },
  });
}

const released = (version: string) => [toSnapshot(orders(version))];
const breaking = (version: string) => orders(version, {}); // response field removed
const additive = (version: string) => orders(version, { ...base(), state: Type.String() });

const cases: [name: string, run: () => ReturnType<typeof checkContract>, ok: boolean, summary: RegExp][] = [
  ['no history', () => checkContract(orders('1.0.0'), { history: [] }), true, /no released snapshot/],
  [
    'unchanged',
    () => checkContract(orders('1.0.0'), { history: released('1.0.0') }),
    true,
    /unchanged since 1\.0\.0/,
  ],
  [
    'breaking + minor bump',
    () => checkContract(breaking('1.1.0'), { history: released('1.0.0') }),
    false,
    /need a major bump.*is minor/,
  ],
  [
    'breaking + major bump',
    () => checkContract(breaking('2.0.0'), { history: released('1.0.0') }),
    true,
    /\(major\) covers 2 breaking/,
  ],
  [
    'additive + patch bump',
    () => checkContract(additive('1.0.1'), { history: released('1.0.0') }),
    false,
    /need a minor bump/,
  ],
  [
    'additive + minor bump',
    () => checkContract(additive('1.1.0'), { history: released('1.0.0') }),
    true,
    /covers 1 non-breaking/,
  ],
  [
    'additive + major bump',
    () => checkContract(additive('2.0.0'), { history: released('1.0.0') }),
    true,
    /\(major\)/,
  ],
  [
    'version went backwards',
    () => checkContract(orders('1.0.0'), { history: released('1.1.0') }),
    false,
    /went backwards/,
  ],
  [
    'changed without a bump',
    () => checkContract(additive('1.0.0'), { history: released('1.0.0') }),
    false,
    /not bumped \(needs minor\)/,
  ],
  [
    'description only, no bump',
    () => checkContract(orders('1.0.0', base(), 'Orders'), { history: released('1.0.0') }),
    false,
    /needs patch/,
  ],
  [
    'description only, patch bump',
    () => checkContract(orders('1.0.1', base(), 'Orders'), { history: released('1.0.0') }),
    true,
    /patch-level/,
  ],
  [
    '0.x is not special: breaking in 0.2.0',
    () => checkContract(breaking('0.2.0'), { history: released('0.1.0') }),
    false,
    /need a major bump/,
  ],
  [
    'prerelease line may change freely',
    () => checkContract(breaking('2.0.0'), { history: released('2.0.0-rc.1') }),
    true,
    /covers/,
  ],
  [
    'first release of a new major is judged against the previous major',
    () => checkContract(breaking('2.0.0'), { history: [...released('1.0.0'), ...released('1.3.0')] }),
    true,
    /1\.3\.0 → 2\.0\.0/,
  ],
  [
    'an old major line is judged against its own releases',
    () =>
      checkContract(breaking('1.4.0'), { history: [...released('1.3.0'), toSnapshot(orders('2.0.0', {}))] }),
    false,
    /1\.3\.0 → 1\.4\.0 is minor/,
  ],
];

for (const [name, run, ok, summary] of cases)
  test(`check: ${name}`, () => {
    const result = run();
    assert.equal(result.ok, ok, result.summary);
    assert.match(result.summary, summary);
    const [first] = formatCheck(result);
    assert.ok(first?.startsWith(ok ? 'ok orders@' : 'FAIL orders@'), first);
  });

test('a deprecated operation removed after its sunset only needs a minor bump', () => {
  const old = contract({
    name: 'orders',
    version: '1.0.0',
    operations: {
      getOrder: operation({ input: Type.Object({}), output: Type.Object({}) }),
      oldOrder: operation({
        input: Type.Object({}),
        output: Type.Object({}),
        deprecated: { since: '2026-01-01', sunset: '2026-06-01' },
      }),
    },
  });
  const next = contract({
    name: 'orders',
    version: '1.1.0',
    operations: { getOrder: operation({ input: Type.Object({}), output: Type.Object({}) }) },
  });
  const history = [toSnapshot(old)];
  assert.equal(checkContract(next, { history, now: new Date('2026-07-01') }).ok, true);
  assert.equal(checkContract(next, { history, now: new Date('2026-05-01') }).ok, false);
});

test('the working snapshot keeps the protobuf numbers of the baseline', () => {
  const v1 = toSnapshot(orders('1.0.0', { a: Type.String(), b: Type.String() }));
  const result = checkContract(orders('2.0.0', { b: Type.String() }), { history: [v1] });
  assert.deepEqual(result.snapshot.protobuf.messages.GetOrderResponse, { fields: { b: 2 }, reserved: [1] });
});
