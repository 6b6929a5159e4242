import { loadNats } from './link.js';

/** Deletes everything a prefix made on a server (its streams and its lease bucket): what a test run left. */
export async function deletePrefixStreams(url: string, prefix: string): Promise<void> {
  const nats = await loadNats();
  const nc = await nats.connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    for await (const name of jsm.streams.names())
      if (name.startsWith(`${prefix}_`) || name === `KV_${prefix}_leases`) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}
