import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headerMatcher, hostMatcher } from './conditions.js';
import { createRouter, type Routable } from './router.js';

interface Route extends Routable {
  name: string;
}

const route = (name: string, template: string, extra: Partial<Route> = {}): Route => ({
  name,
  template,
  methods: undefined,
  host: undefined,
  headers: undefined,
  ...extra,
});

describe('gateway router', () => {
  const router = createRouter<Route>([
    route('beta', '/orders/:id', { methods: new Set(['GET']), headers: headerMatcher({ 'x-beta': 'yes' }) }),
    route('get', '/orders/:id', { methods: new Set(['GET']) }),
    route('put', '/orders/:id', { methods: new Set(['PUT']) }),
    route('mine', '/orders/mine', { methods: new Set(['GET']) }),
    route('files', '/files/*'),
    route('deep', '/files/special/:name', { methods: new Set(['GET']) }),
    route('hosted', '/site', { host: hostMatcher(['api.example.com', '*.example.org']) }),
  ]);
  const name = (method: string, path: string, headers = {}) => {
    const match = router.match(method, path, headers);
    return match.kind === 'route' ? match.route.name : match.kind === 'method' ? `405 ${match.allow}` : '404';
  };

  it('prefers literals to parameters and parameters to wildcards, falling back when a branch ends', () => {
    assert.equal(name('GET', '/orders/mine'), 'mine');
    assert.equal(name('GET', '/orders/o-1'), 'get');
    assert.equal(name('GET', '/files/special/x'), 'deep');
    assert.equal(
      name('POST', '/files/special/x'),
      'files',
      'the wildcard takes what the literal branch does not',
    );
    const match = router.match('GET', '/files/a/b', {});
    assert.ok(match.kind === 'route');
    assert.equal(match.rest, '/a/b');
    assert.equal(name('GET', '/files'), 'files');
  });

  it('takes the first route whose method, host and headers hold, and answers 405 with what the path takes', () => {
    assert.equal(name('GET', '/orders/o-1', { 'x-beta': 'yes' }), 'beta');
    assert.equal(name('DELETE', '/orders/o-1'), '405 GET, PUT');
    assert.equal(name('GET', '/orders/'), '404', 'a parameter never matches an empty segment');
    assert.equal(name('GET', 'orders'), '404');
    assert.equal(name('GET', '/site', { host: 'API.EXAMPLE.COM:443' }), 'hosted');
    assert.equal(name('GET', '/site', { host: 'eu.example.org' }), 'hosted');
    assert.equal(name('GET', '/site', { host: 'example.org' }), '404');
    assert.equal(name('GET', '/site'), '404');
  });

  it('collects the parameters of the path in order', () => {
    const match = router.match('PUT', '/orders/o%2F7', {});
    assert.ok(match.kind === 'route');
    assert.deepEqual(match.params, ['o%2F7']);
  });

  it('matches header conditions by value, pattern and presence', () => {
    const matches = headerMatcher({ 'x-a': 'one', 'x-b': { matches: '^v\\d+$' }, 'x-c': { present: false } });
    assert.equal(matches({ 'x-a': 'one', 'x-b': 'v2' }), true);
    assert.equal(matches({ 'x-a': 'one', 'x-b': 'v2', 'x-c': '' }), false);
    assert.equal(matches({ 'x-a': 'one', 'x-b': 'vx' }), false);
    assert.equal(matches({ 'x-b': 'v2' }), false);
  });
});
