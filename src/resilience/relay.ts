import { Emitter, type Disposable, type Event } from './events.js';

/** Which policy instance an aggregated event came from. */
export interface Target {
  /** `name@vMajor`, as `serviceKey` spells it. */
  readonly service: string;
  readonly operation: string;
}

/**
 * One event stream fed by the same event of many policy instances, each tagged with its target.
 * It subscribes to the instances only while someone listens to it, so unobserved policies keep
 * their zero-cost events.
 */
export class Relay<T extends object> {
  readonly #sources: { event: Event<T>; target: Target }[] = [];
  #subscriptions: Disposable[] = [];
  readonly #emitter = new Emitter<T & Target>((listening) => {
    if (listening) for (const source of this.#sources) this.#attach(source.event, source.target);
    else for (const subscription of this.#subscriptions.splice(0)) subscription.dispose();
  });

  readonly event: Event<T & Target> = this.#emitter.event;

  add(event: Event<T>, target: Target): void {
    this.#sources.push({ event, target });
    if (this.#emitter.listening) this.#attach(event, target);
  }

  #attach(event: Event<T>, target: Target): void {
    this.#subscriptions.push(event((e) => this.#emitter.emit({ ...e, ...target })));
  }
}
