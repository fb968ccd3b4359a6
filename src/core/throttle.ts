/**
 * How often the server looks at the file system for news (a moved `latest`, a changed history
 * database) under load: at most every 10 ms. A system call per request was a tenth to a third of
 * a request's cost, and news 10 ms old is as good as news.
 */
export const LOOK_EVERY_MS = 10;

/** A gate that opens at most once every `ms` milliseconds, or whenever `force` is true. */
export function every(ms = LOOK_EVERY_MS): (force?: boolean) => boolean {
  let last = Number.NEGATIVE_INFINITY;
  return (force = false) => {
    const now = performance.now();
    if (!force && now - last < ms) return false;
    last = now;
    return true;
  };
}
