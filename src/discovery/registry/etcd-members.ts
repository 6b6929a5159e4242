import { createHash, randomUUID } from 'node:crypto';
import type { Etcd3, Lease, Watcher } from 'etcd3';

export interface MembersOptions {
  client: Etcd3;
  /** Key prefix of member keys, ending in `/`. */
  prefix: string;
  /** A member key outlives its hub by at most this. */
  ttlSeconds?: number;
}

/**
 * The hubs sharing one etcd registry, each present as a key bound to its own lease. Instances are
 * split between live hubs by rendezvous hashing, so each instance's active check runs on one hub;
 * when a hub goes, its instances move to the others once its lease expires, and only those move.
 */
export async function joinMembers(options: MembersOptions) {
  const { client, prefix } = options;
  const self = randomUUID();
  const members = new Set<string>([self]);
  let lease: Lease | undefined;
  let closed = false;

  const join = async () => {
    lease = client.lease(options.ttlSeconds ?? 10);
    // A lease lost (etcd unreachable for longer than its TTL) is replaced: this hub stays a member.
    lease.on('lost', () => {
      if (!closed) setTimeout(() => void join().catch(() => undefined), 1000);
    });
    await lease.put(prefix + self).value('');
  };

  await join();
  const watcher: Watcher = await client.watch().prefix(prefix).create();
  watcher.on('put', (kv) => members.add(kv.key.toString().slice(prefix.length)));
  watcher.on('delete', (kv) => {
    const id = kv.key.toString().slice(prefix.length);
    if (id !== self) members.delete(id);
  });
  for (const key of await client.getAll().prefix(prefix).keys()) members.add(key.slice(prefix.length));

  return {
    self,
    get size() {
      return members.size;
    },
    /** Whether this hub is the one that checks `instanceId`. */
    owns(instanceId: string): boolean {
      let best: string = self;
      let bestScore = score(self, instanceId);
      for (const member of members) {
        const s = score(member, instanceId);
        if (s > bestScore || (s === bestScore && member < best)) [best, bestScore] = [member, s];
      }
      return best === self;
    },
    async close(): Promise<void> {
      closed = true;
      await watcher.cancel().catch(() => undefined);
      await lease?.revoke().catch(() => undefined);
    },
  };
}

function score(member: string, instanceId: string): bigint {
  return createHash('sha256').update(`${member}\0${instanceId}`).digest().readBigUInt64BE(0);
}
