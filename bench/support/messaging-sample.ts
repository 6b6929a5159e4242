/**
 * The message every messaging side sends: a JSON object of exactly 256 bytes carrying its sequence
 * number and the moment its publish was called, so the receiving handler can time it.
 */
import { randomBytes } from 'node:crypto';
import { contract, event, Type } from '../../src/contract/index.js';

export interface Sample {
  seq: number;
  /** `performance.now()` when `publish` was called; everything runs in one process. */
  sentAt: number;
  pad: string;
}

export const messageBytes = 256;

const pads = new Map<number, string>();
const padOf = (length: number) => {
  let pad = pads.get(length);
  if (pad === undefined) pads.set(length, (pad = 'x'.repeat(Math.max(0, length))));
  return pad;
};

/** A sample whose JSON encoding is exactly `messageBytes` long, whatever the digits of its numbers. */
export function sampleOf(seq: number, sentAt: number): Sample {
  const bare = JSON.stringify({ seq, sentAt, pad: '' }).length;
  return { seq, sentAt, pad: padOf(messageBytes - bare) };
}

/** What the raw clients send: the same bytes Switchyard's JSON codec writes for the payload. */
export function encodeSample(sample: Sample): Buffer {
  return Buffer.from(JSON.stringify(sample));
}

export function decodeSample(bytes: Uint8Array): Sample {
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString()) as Sample;
}

/** Short and unique per run, so names left by a crashed run never collide with this one. */
export function runId(): string {
  return randomBytes(4).toString('hex');
}

/** A contract with one event, named uniquely, so its channels belong to one measurement only. */
export function benchContract(id: string) {
  return contract({
    name: `bench-${id}`,
    version: '1.0.0',
    events: {
      sample: event({
        payload: Type.Object({
          seq: Type.Integer({ minimum: 0 }),
          sentAt: Type.Number(),
          pad: Type.String(),
        }),
      }),
    },
  });
}
