// Type-level tests: `npm test` runs `tsc`, and an `@ts-expect-error` that stops being an error fails it.
import { bulkhead, fallback, OMITTED, retry, timeout, wrap } from './index.js';

const quick = { maxAttempts: 2, backoff: { initialMs: 0, maxMs: 0, multiplier: 1 } };

export async function altTypes() {
  const plain: number = await wrap(timeout(10), retry(quick), bulkhead({ maxConcurrent: 1 })).execute(
    async () => 1,
  );
  const valued: number | 'none' = await wrap(
    fallback({ kind: 'value', value: 'none' }),
    retry(quick),
  ).execute(async () => 1);
  const omitted: number | typeof OMITTED = await wrap(fallback({ kind: 'omit' })).execute(async () => 1);
  const cached: number = await fallback({ kind: 'cache', maxAgeMs: 1 }).execute(async () => 1);
  // @ts-expect-error a value fallback widens the result
  const narrow: number = await wrap(fallback({ kind: 'value', value: 'none' })).execute(async () => 1);
  // @ts-expect-error fn receives the context, not arbitrary arguments
  await timeout(10).execute(async (ctx: { signal: AbortSignal; attempt: string }) => ctx);
  return [plain, valued, omitted, cached, narrow];
}
