/** React bindings of the capability checks: useCapabilities() and <Guarded>. */
import { createContext, useContext, useEffect, useId, useMemo, useState, type ReactNode } from 'react';
import { useSession } from '../session';
import { CapabilityBatcher, disabledReason, type Capability } from './capabilities';

const BatcherContext = createContext<CapabilityBatcher | null>(null);

/** One batcher per token (inside SessionProvider); a new token starts with an empty cache. */
export function CapabilitiesProvider({ children }: { children: ReactNode }) {
  const { api, token } = useSession();
  // `token` is a deliberate extra dependency: a new login must not reuse the old token's answers.
  const batcher = useMemo(() => new CapabilityBatcher(api), [api, token]);
  return <BatcherContext.Provider value={batcher}>{children}</BatcherContext.Provider>;
}

/** Result of useCapabilities: capabilities per path (undefined while loading), and any error. */
export interface CapabilitiesState {
  caps: Record<string, string[] | undefined>;
  loading: boolean;
  error: unknown;
  /** Drops cached answers and asks again. */
  reload(): void;
}

/** The token's capabilities on each of `paths` (one batched sys/capabilities-self call). */
export function useCapabilities(paths: readonly string[]): CapabilitiesState {
  const batcher = useContext(BatcherContext);
  if (!batcher) throw new Error('useCapabilities() outside <CapabilitiesProvider>');
  const key = paths.join('\n');
  const [state, setState] = useState<{ key: string; caps: Record<string, string[]>; error: unknown }>({ key: '', caps: {}, error: null });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let live = true;
    const list = key ? key.split('\n') : [];
    Promise.all(list.map((p) => batcher.get(p))).then(
      (answers) => live && setState({ key, caps: Object.fromEntries(list.map((p, i) => [p, answers[i]!])), error: null }),
      (error: unknown) => live && setState({ key, caps: {}, error }),
    );
    return () => {
      live = false;
    };
  }, [batcher, key, generation]);

  const current = state.key === key;
  return {
    caps: current ? state.caps : {},
    loading: !current,
    error: current ? state.error : null,
    reload: () => {
      batcher.clear();
      setGeneration((g) => g + 1);
    },
  };
}

/** What a <Guarded> child gets: pass these to the control it guards. */
export interface GuardProps {
  disabled: boolean;
  /** The reason shown as a tooltip (undefined when allowed). */
  title: string | undefined;
  /** Points to the visible-to-screen-readers reason (undefined when allowed). */
  'aria-describedby': string | undefined;
}

/**
 * Renders its child with `disabled`, `title` and `aria-describedby` set when the token lacks
 * `need` on `path`, plus the reason as text for assistive technology:
 *
 *   <Guarded path="secret/data/app" need="update">{(g) => <button {...g}>Save</button>}</Guarded>
 */
export function Guarded({ path, need, children }: { path: string; need: Capability | Capability[]; children: (g: GuardProps) => ReactNode }) {
  const { caps, error } = useCapabilities([path]);
  const { info } = useSession();
  const id = useId();
  const reason = error ? 'permissions could not be checked' : disabledReason(caps[path], need, path, info?.policies);
  return (
    <>
      {children({ disabled: reason !== undefined, title: reason, 'aria-describedby': reason ? id : undefined })}
      {reason && (
        <span id={id} className="visually-hidden">
          {reason}
        </span>
      )}
    </>
  );
}
