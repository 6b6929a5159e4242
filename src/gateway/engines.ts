interface Entry {
  readonly name: string;
  readonly key: string;
  readonly value: Promise<unknown>;
  readonly close: (value: any) => Promise<void> | void;
  readonly users: Set<object>;
}

/**
 * What outlives one configuration: connections to the hub and the services, breakers, limiter state,
 * the authenticator's key cache. A reload whose section of an engine is unchanged keeps using the same
 * engine; one that changed it gets a new engine, and the old one is closed once no configuration
 * still serving requests uses it.
 */
export class Engines {
  readonly #entries: Entry[] = [];

  acquire<T>(
    user: object,
    name: string,
    settings: unknown,
    create: () => T | Promise<T>,
    close: (value: T) => Promise<void> | void,
  ): Promise<T> {
    const key = JSON.stringify(settings) ?? 'undefined';
    let entry = this.#entries.find((e) => e.name === name && e.key === key);
    if (!entry) {
      const value = Promise.resolve().then(create);
      const made: Entry = { name, key, value, close, users: new Set() };
      // A failed start must not be handed to the next configuration that asks.
      value.catch(() => this.#remove(made));
      this.#entries.push((entry = made));
    }
    entry.users.add(user);
    return entry.value as Promise<T>;
  }

  /** `user` no longer serves: close every engine nobody else uses. */
  async release(user: object): Promise<void> {
    const unused = this.#entries.filter((e) => e.users.delete(user) && e.users.size === 0);
    for (const entry of unused) this.#remove(entry);
    await Promise.all(
      unused.map((e) =>
        e.value.then(
          (v) => e.close(v),
          () => undefined,
        ),
      ),
    );
  }

  #remove(entry: Entry): void {
    const at = this.#entries.indexOf(entry);
    if (at >= 0) this.#entries.splice(at, 1);
  }
}
