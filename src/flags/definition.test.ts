import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../errors/index.js';
import { parseFlagDefinition, parseFlagDocument } from './definition.js';
import { createFlags } from './flags.js';

/** The violation paths a document is refused with. */
function refused(document: unknown): string[] {
  try {
    parseFlagDocument(document);
  } catch (error) {
    assert.ok(SwitchyardError.is(error, 'INVALID_ARGUMENT'));
    return (error.details.violations ?? []).map((v) => v.path);
  }
  assert.fail(`accepted ${JSON.stringify(document)}`);
}

const flag = (def: unknown) => ({ flags: { f: def } });

describe('flag documents', () => {
  it('accepts boolean and variant flags with rules and rollouts', () => {
    parseFlagDocument({ flags: {} });
    parseFlagDocument(flag({}));
    parseFlagDocument(
      flag({
        description: 'canary',
        variants: { v1: { upstream: 'orders-v1' }, v2: { upstream: 'orders-v2' } },
        defaultVariant: 'v1',
        rules: [{ when: [], rollout: { v2: 12.5 } }],
        stickiness: 'tenantId',
      }),
    );
  });

  it('names every problem by its path', () => {
    assert.deepEqual(refused(undefined), ['/flags']);
    assert.deepEqual(refused({ flags: [] }), ['/flags']);
    assert.deepEqual(refused({ flags: { 'bad key': {} } }), ['/flags/bad key']);
    assert.deepEqual(refused(flag('on')), ['/flags/f']);
    assert.deepEqual(refused(flag({ rolout: { on: 5 } })), ['/flags/f/rolout']);
    assert.deepEqual(refused(flag({ defaultVariant: 'yes' })), ['/flags/f/defaultVariant']);
    assert.deepEqual(refused(flag({ enabled: 'true' })), ['/flags/f/enabled']);
    assert.deepEqual(refused(flag({ variants: {} })), ['/flags/f/variants', '/flags/f/defaultVariant']);
    assert.deepEqual(refused(flag({ variants: { a: 1, b: 'x' }, defaultVariant: 'a' })), [
      '/flags/f/variants',
    ]);
    assert.deepEqual(refused(flag({ variants: { a: null }, defaultVariant: 'a' })), ['/flags/f/variants/a']);
    assert.deepEqual(refused(flag({ rollout: { on: 60, off: 50 } })), ['/flags/f/rollout']);
    assert.deepEqual(refused(flag({ rollout: { on: 10.125 } })), ['/flags/f/rollout/on']);
    assert.deepEqual(refused(flag({ rollout: { on: -1 } })), ['/flags/f/rollout/on']);
    assert.deepEqual(refused(flag({ rollout: { maybe: 10 } })), ['/flags/f/rollout/maybe']);
    assert.deepEqual(refused(flag({ rules: {} })), ['/flags/f/rules']);
    assert.deepEqual(refused(flag({ rules: [{ when: [] }] })), ['/flags/f/rules/0']);
    assert.deepEqual(refused(flag({ rules: [{ when: [], variant: 'on', rollout: { on: 1 } }] })), [
      '/flags/f/rules/0',
    ]);
    assert.deepEqual(refused(flag({ rules: [{ when: [], variant: 'other' }] })), [
      '/flags/f/rules/0/variant',
    ]);
    assert.deepEqual(refused(flag({ rules: [{ variant: 'on' }] })), ['/flags/f/rules/0/when']);
    const condition = (c: unknown) => refused(flag({ rules: [{ when: [c], variant: 'on' }] }));
    assert.deepEqual(condition({ attribute: 'a', equals: 1, in: [1] }), ['/flags/f/rules/0/when/0']);
    assert.deepEqual(condition({ attribute: 'a', matches: 'x.*' }), ['/flags/f/rules/0/when/0']);
    assert.deepEqual(condition({ equals: 1 }), ['/flags/f/rules/0/when/0/attribute']);
    assert.deepEqual(condition({ attribute: 'a', in: [] }), ['/flags/f/rules/0/when/0/in']);
    assert.deepEqual(condition({ attribute: 'a', gt: '5' }), ['/flags/f/rules/0/when/0/gt']);
    assert.deepEqual(condition({ attribute: 'a', equals: { x: 1 } }), ['/flags/f/rules/0/when/0/equals']);
    assert.deepEqual(condition({ attribute: 'a', startsWith: 1 }), ['/flags/f/rules/0/when/0/startsWith']);
  });

  it('checks one flag alone, and refuses a bad document given in code', () => {
    assert.throws(() => parseFlagDefinition('f', { defaultVariant: 'nope' }), /f: \/defaultVariant/);
    assert.throws(
      () => createFlags({ flags: { f: { rollout: { on: 101 } } } }),
      (e) => SwitchyardError.is(e, 'INVALID_ARGUMENT'),
    );
  });
});
