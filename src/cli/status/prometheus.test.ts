import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheus, sumOf } from './prometheus.js';

const scrape = `# HELP switchyard_rpc_server_requests_total Calls served
# TYPE switchyard_rpc_server_requests_total counter
switchyard_rpc_server_requests_total{service="consumers@v1",operation="getConsumer",code="OK",process="consumers-1"} 12
switchyard_rpc_server_requests_total{service="consumers@v1",operation="getConsumer",code="NOT_FOUND",process="consumers-1"} 3

# TYPE switchyard_process_resident_memory_bytes gauge
switchyard_process_resident_memory_bytes{process="consumers-1"} 5.24288e+07 1712345678000
switchyard_registry_index 7
odd{path="a \\"quoted\\" \\\\ back\\nslash",empty=""} +Inf
broken{unterminated="x 1
also_broken{a="1"} not-a-number
`;

describe('parsePrometheus', () => {
  const samples = parsePrometheus(scrape);

  it('reads counters and gauges with their labels, skipping comments and blank lines', () => {
    assert.deepEqual(samples[0], {
      name: 'switchyard_rpc_server_requests_total',
      labels: { service: 'consumers@v1', operation: 'getConsumer', code: 'OK', process: 'consumers-1' },
      value: 12,
    });
    assert.deepEqual(samples[3], { name: 'switchyard_registry_index', labels: {}, value: 7 });
  });

  it('reads exponents, ignores timestamps, and reads +Inf', () => {
    assert.equal(samples[2]!.value, 52_428_800);
    assert.equal(samples[4]!.value, Infinity);
  });

  it('unescapes label values (quote, backslash, newline) and keeps empty ones', () => {
    assert.deepEqual(samples[4]!.labels, { path: 'a "quoted" \\ back\nslash', empty: '' });
  });

  it('drops malformed lines instead of failing the scrape', () => {
    assert.equal(samples.length, 5);
    assert.deepEqual(parsePrometheus('{}\n= 1\n'), []);
  });

  it('sums a series over its labels, with a filter, and says when it is absent', () => {
    assert.equal(sumOf(samples, 'switchyard_rpc_server_requests_total'), 15);
    assert.equal(
      sumOf(samples, 'switchyard_rpc_server_requests_total', (l) => l.code !== 'OK'),
      3,
    );
    assert.equal(sumOf(samples, 'switchyard_outbox_backlog_messages'), undefined);
  });
});
