import { connect } from './link.js';

/** Deletes every key matching `pattern` (SCAN, so the server is never blocked): what a test or benchmark run left. */
export async function deleteKeys(url: string, pattern: string): Promise<void> {
  const redis = await connect({ url, name: 'switchyard-test-cleanup' });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
