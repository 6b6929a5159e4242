import { loadNats } from './link.js';

/** The buckets an adapter makes for a prefix: leases, sweep claims and the idle markers of each expiry. */
const bucketOf = (prefix: string) => new RegExp(`^KV_${prefix}_(leases|sweep|idle_\\d+)$`);

/** Deletes everything a prefix made on a server (its streams and its buckets): what a test run left. */
export async function deletePrefixStreams(url: string, prefix: string): Promise<void> {
  const nats = await loadNats();
  const nc = await nats.connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    const buckets = bucketOf(prefix);
    for await (const name of jsm.streams.names())
      if (name.startsWith(`${prefix}_`) || buckets.test(name)) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}
