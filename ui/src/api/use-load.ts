import { useCallback, useEffect, useState, type DependencyList } from 'react';

/** What {@link useLoad} gives a page. */
export interface Loaded<T> {
  /** The last value loaded; null until the first load succeeds. */
  data: T | null;
  /** The last load's failure (cleared when a load starts), or an action's, set with setError. */
  error: unknown;
  setError: (err: unknown) => void;
  /** Loads again (the ErrorPanel's retry, and after an action changed the data). */
  reload: () => Promise<void>;
}

/**
 * Loads a page's data when it mounts and whenever `deps` change: the pages' common
 * load / error / retry state, kept in one place.
 */
export function useLoad<T>(fetch: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  // `fetch` is a new closure on every render; `deps` are what it reads.
  const reload = useCallback(async () => {
    setError(null);
    try {
      setData(await fetch());
    } catch (err) {
      setError(err);
    }
  }, deps);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, setError, reload };
}
