import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countersOf } from './collect.js';
import { parsePrometheus } from './prometheus.js';
import { ratesBetween } from './rates.js';

describe('ratesBetween', () => {
  it('divides the counter increase by the seconds between the samples', () => {
    const rates = ratesBetween(
      { at: 10_000, requests: 100, errors: 4 },
      { at: 12_000, requests: 150, errors: 5 },
    );
    assert.deepEqual(rates, { requestsPerSecond: 25, errorsPerSecond: 0.5 });
  });

  it('has no rate from a single sample, or when no time passed', () => {
    assert.equal(ratesBetween(undefined, { at: 1, requests: 1, errors: 0 }), undefined);
    assert.equal(
      ratesBetween({ at: 5, requests: 1, errors: 0 }, { at: 5, requests: 2, errors: 0 }),
      undefined,
    );
  });

  it('has no rate across a restart (a counter went down)', () => {
    assert.equal(
      ratesBetween({ at: 0, requests: 500, errors: 0 }, { at: 1_000, requests: 3, errors: 0 }),
      undefined,
    );
  });
});

describe('countersOf', () => {
  it('counts RPC calls, every code but OK as an error', () => {
    const samples = parsePrometheus(
      [
        'switchyard_rpc_server_requests_total{code="OK"} 9',
        'switchyard_rpc_server_requests_total{code="UNAVAILABLE"} 1',
        'switchyard_rpc_client_requests_total{code="OK"} 100',
      ].join('\n'),
    );
    assert.deepEqual(countersOf(samples), { requests: 10, errors: 1 });
  });

  it("counts the gateway's requests, statuses from 400 up as errors", () => {
    const samples = parsePrometheus(
      [
        'switchyard_gateway_requests_total{route="a",method="GET",status="200"} 7',
        'switchyard_gateway_requests_total{route="a",method="GET",status="404"} 2',
        'switchyard_gateway_requests_total{route="a",method="GET",status="503"} 1',
      ].join('\n'),
    );
    assert.deepEqual(countersOf(samples), { requests: 10, errors: 3 });
  });

  it('is undefined when the process exposes neither', () => {
    assert.equal(countersOf(parsePrometheus('switchyard_process_resident_memory_bytes 1\n')), undefined);
  });
});
