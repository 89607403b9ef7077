/**
 * Hot-path promise plumbing. While any AsyncLocalStorage is on (a transaction runs), Node 20
 * runs hooks at every promise in the process, so the layers every storage call crosses return
 * their inner promise (or one `.then` of it) instead of being `async` functions, which make two
 * or three promises each. They keep an async function's contract through {@link promiseOf}.
 */

/**
 * `fn()`'s promise, with a synchronous throw returned as a rejected promise (as an `async`
 * function would), at no extra promise on the normal path.
 */
export function promiseOf<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (err) {
    return Promise.reject(err);
  }
}
