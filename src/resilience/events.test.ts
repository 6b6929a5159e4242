import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Emitter } from './events.js';

describe('Emitter', () => {
  it('delivers to each listener until it is disposed, and reports whether anyone listens', () => {
    const watched: boolean[] = [];
    const emitter = new Emitter<number>((listening) => watched.push(listening));
    const got: string[] = [];
    assert.equal(emitter.listening, false);
    const a = emitter.event((n) => got.push(`a${n}`));
    const b = emitter.event((n) => got.push(`b${n}`));
    emitter.emit(1);
    a.dispose();
    a.dispose(); // idempotent: does not remove b
    emitter.emit(2);
    b.dispose();
    emitter.emit(3);
    assert.deepEqual(got, ['a1', 'b1', 'b2']);
    assert.deepEqual(watched, [true, false]);
    assert.equal(emitter.listening, false);
  });

  it('lets a listener dispose itself while an event is delivered', () => {
    const emitter = new Emitter<number>();
    const got: number[] = [];
    const once = emitter.event(() => once.dispose());
    emitter.event((n) => got.push(n));
    emitter.emit(1);
    emitter.emit(2);
    assert.deepEqual(got, [1, 2]);
  });

  it('keeps delivering when a listener throws, and rethrows its error outside the emitter', () => {
    const emitter = new Emitter<number>();
    const got: number[] = [];
    emitter.event(() => {
      throw new Error('listener bug');
    });
    emitter.event((n) => got.push(n));
    const deferred: (() => void)[] = [];
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (task) => void deferred.push(task);
    try {
      emitter.emit(1);
    } finally {
      globalThis.queueMicrotask = original;
    }
    assert.deepEqual(got, [1]);
    assert.throws(() => deferred[0]!(), /listener bug/);
  });
});
