import type { Etcd3, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse, IDuplexStream } from 'etcd3';

interface Waiter {
  resolve(alive: boolean): void;
  reject(error: unknown): void;
}

/**
 * Renews leases by id over one long-lived LeaseKeepAlive stream. etcd3's `Lease` only renews leases
 * its own process granted; a hub must renew any instance's lease, whichever hub registered it,
 * because the instance may heartbeat through any of them.
 */
export function createKeepAlive(client: Etcd3, timeoutMs = 5000) {
  let stream: Promise<IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>> | undefined;
  // etcd answers one request at a time per stream, so waiters of one lease are served in order.
  const waiting = new Map<string, Waiter[]>();

  const failAll = (error: unknown) => {
    stream = undefined;
    const all = [...waiting.values()].flat();
    waiting.clear();
    for (const waiter of all) waiter.reject(error);
  };

  const open = () => {
    stream ??= client.leaseClient.leaseKeepAlive().then((s) => {
      s.on('data', (res: ILeaseKeepAliveResponse) => {
        const queue = waiting.get(res.ID);
        const waiter = queue?.shift();
        if (queue?.length === 0) waiting.delete(res.ID);
        // A TTL of zero (or below) means the lease is gone: expired or revoked.
        waiter?.resolve(Number(res.TTL) > 0);
      });
      s.on('error', failAll);
      s.on('end', () => failAll(new Error('etcd keepalive stream ended')));
      return s;
    });
    stream.catch(failAll);
    return stream;
  };

  return {
    /** Renews a lease; false when etcd no longer has it. */
    async renew(leaseId: string): Promise<boolean> {
      const s = await open();
      return new Promise<boolean>((resolve, reject) => {
        const timer = setTimeout(() => {
          const queue = waiting.get(leaseId);
          const at = queue?.indexOf(waiter) ?? -1;
          if (at >= 0) queue!.splice(at, 1);
          reject(new Error(`etcd did not answer a keepalive within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter: Waiter = {
          resolve: (alive) => (clearTimeout(timer), resolve(alive)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        };
        const queue = waiting.get(leaseId) ?? [];
        queue.push(waiter);
        waiting.set(leaseId, queue);
        s.write({ ID: leaseId });
      });
    },
    async close(): Promise<void> {
      const current = stream;
      stream = undefined;
      if (current) (await current.catch(() => undefined))?.end();
    },
  };
}
