import { request } from 'undici';
import { fromProblem, SwitchyardError } from '../../errors/index.js';
import type { Instance, Resolver } from '../../discovery/index.js';
import type { OutgoingMessage } from '../adapter.js';
import type { MessageSink } from '../bus/index.js';
import { directPathPrefix } from './receiver.js';

export interface DirectSinkOptions {
  /** Finds the receiving service's instances (hub, DNS or a static list). */
  readonly resolver: Resolver;
  /** The receiving service; default the first part of the channel name (`kitchen.commands` → `kitchen`). */
  readonly service?: string;
  /** Per message; default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * Broker-less delivery: `bus.send(Kitchen, 'createTicket', payload, { sink })` posts the message
 * straight to one healthy instance of the receiving service over HTTP. Fast and simple, but nothing
 * buffers it: `publish` rejects when no instance is up or the handler failed, and the caller must
 * retry or give up. Requests (which wait for a reply on the sender's reply channel) need a broker.
 */
export function directSink(options: DirectSinkOptions): MessageSink {
  let next = 0;
  const timeout = options.timeoutMs ?? 10_000;

  async function pick(channel: string): Promise<Instance> {
    const service = options.service ?? channel.split('.', 1)[0]!;
    const instances = (await options.resolver.resolve(service)).filter((i) => i.endpoints.http);
    if (instances.length === 0)
      throw new SwitchyardError('UNAVAILABLE', `No instance of ${service} to deliver to`, {
        details: { service },
      });
    return instances[next++ % instances.length]!;
  }

  async function deliver(message: OutgoingMessage): Promise<void> {
    if (message.headers['ce-replyto'])
      throw new SwitchyardError(
        'FAILED_PRECONDITION',
        'Requests with an async reply need a broker; use RPC instead',
      );
    const instance = await pick(message.channel);
    const url = `http://${instance.endpoints.http}${directPathPrefix}${encodeURIComponent(message.channel)}`;
    let response;
    try {
      response = await request(url, {
        method: 'POST',
        headers: message.headers,
        body: Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength),
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
    } catch (error) {
      throw new SwitchyardError('UNAVAILABLE', `${instance.id} did not take the message`, { cause: error });
    }
    if (response.statusCode < 300) {
      await response.body.dump();
      return;
    }
    const text = await response.body.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    throw fromProblem(response.statusCode, body);
  }

  return {
    async publish(messages) {
      for (const message of messages) await deliver(message);
    },
  };
}
