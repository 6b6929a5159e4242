import type { Interceptor } from './call.js';
import { deadlineExceeded } from './context.js';

/**
 * A call never outlives its deadline: a deadline already spent fails before anything is sent, and a
 * call still running when it passes is abandoned with DEADLINE_EXCEEDED (its context's signal aborts).
 */
export const enforceDeadline: Interceptor = (next) => (call) => {
  const remaining = call.ctx.remainingMs();
  if (remaining === Infinity) return next(call);
  if (remaining <= 0) return Promise.reject(deadlineExceeded());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(deadlineExceeded()), remaining);
    next(call).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
};
