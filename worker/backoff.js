// How long to wait between attempts at the token endpoint: bounded exponential backoff with jitter
// (the "equal jitter" variant: half fixed, half random), so that many workers retrying at once spread
// out without ever retrying immediately, and a server's Retry-After is honoured when it is short.
// Kept apart from the code that calls the core so it can be tested in plain Node.

export const REFRESH_ATTEMPTS = 4;
export const BASE_DELAY_MS = 200;
export const MAX_DELAY_MS = 2000;

/**
 * Delay before retry number `attempt` (0-based), in milliseconds. `retryAfterSeconds` is the
 * server's Retry-After: waited when it fits under the cap; null means "too long: give up now".
 */
export function retryDelay(attempt, retryAfterSeconds, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  const delay = ceiling / 2 + random() * (ceiling / 2);
  if (typeof retryAfterSeconds === "number") {
    const asked = retryAfterSeconds * 1000;
    if (asked > MAX_DELAY_MS) return null;
    return Math.max(delay, asked);
  }
  return delay;
}
