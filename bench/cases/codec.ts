/**
 * Wire codecs: MessagePack against JSON (the baseline) for one representative order-like message,
 * encode and decode measured separately, through the project's codec objects.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { json, msgpack } from '../../src/codec/index.js';
import type { BenchCase, BenchGroup, BenchResult } from '../case.js';
import { compareSync, spread, type CompareOptions } from '../measure.js';

/** An order as services exchange it: ids, nested money, three line items, tags, timestamps (ISO and epoch ms). */
function order(i: number) {
  return {
    orderId: `ord_01HZX3K8${String(i).padStart(4, '0')}`,
    consumerId: 'cus_01HZX3JZ4T9N',
    restaurantId: 'rst_0042',
    state: 'APPROVED',
    total: { amount: 4185 + i, currency: 'EUR' },
    items: [
      { menuItemId: 'mi_margherita', quantity: 2, unitPrice: 1150 },
      { menuItemId: 'mi_tiramisu', quantity: 1, unitPrice: 650 },
      { menuItemId: 'mi_water', quantity: 3, unitPrice: 395 + i },
    ],
    tags: { channel: 'mobile', region: 'eu-west-1', promo: 'SPRING24' },
    createdAt: '2026-03-14T12:34:56.789Z',
    updatedAt: 1773491702114,
    version: 3,
  };
}

/** Four messages used in turn, so neither side benefits from seeing one constant value. */
const messages = Array.from({ length: 4 }, (_, i) => order(i));
const jsonBytes = messages.map((m) => json.encode(m));
const msgpackBytes = messages.map((m) => msgpack.encode(m));
let n = 0;

const rounds: CompareOptions = { rounds: 15, durationMs: 150, warmupMs: 400 };

function sizes(): string {
  return `message ${jsonBytes[0]!.byteLength} B as JSON, ${msgpackBytes[0]!.byteLength} B as MessagePack`;
}

/** A codec that does not round-trip the message would make its speed meaningless. */
function checkRoundTrip(): void {
  for (const [i, m] of messages.entries()) {
    deepStrictEqual(json.decode(jsonBytes[i]!), m);
    deepStrictEqual(msgpack.decode(msgpackBytes[i]!), m);
  }
}

async function measure(sides: { switchyard: () => unknown; baseline: () => unknown }): Promise<BenchResult> {
  checkRoundTrip();
  const result = await compareSync(sides, rounds);
  return {
    switchyard: result.switchyard,
    baseline: result.baseline,
    baselineName: `JSON (${json.contentType})`,
    notes: `${sizes()}; per-round ratio ${spread(result.roundRatios)}.`,
  };
}

export const cases: BenchCase[] = [
  {
    name: 'codec encode, MessagePack vs JSON',
    group: 'codec',
    unit: 'ops/s',
    higherIsBetter: true,
    run: () =>
      measure({
        switchyard: () => msgpack.encode(messages[n++ & 3]),
        baseline: () => json.encode(messages[n++ & 3]),
      }),
  },
  {
    name: 'codec decode, MessagePack vs JSON',
    group: 'codec',
    unit: 'ops/s',
    higherIsBetter: true,
    run: () =>
      measure({
        switchyard: () => msgpack.decode(msgpackBytes[n++ & 3]!),
        baseline: () => json.decode(jsonBytes[n++ & 3]!),
      }),
  },
];

export const groups: BenchGroup[] = [
  {
    name: 'codec',
    about:
      'Encode and decode of one order-like message (ids, nested money, 3 line items, a map of tags, ' +
      'timestamps) through `src/codec` (`json.encode` is `JSON.stringify` + `TextEncoder`, `json.decode` ' +
      '`TextDecoder` + `JSON.parse`; `msgpack` wraps one shared @msgpack/msgpack Encoder/Decoder). The ' +
      '"Switchyard" column is MessagePack, the baseline JSON: informational, it shows what choosing ' +
      'MessagePack costs or saves in CPU next to its size saving (in the notes).',
  },
];
