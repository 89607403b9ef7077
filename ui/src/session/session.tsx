/**
 * The session: the token the UI acts with, and what `auth/token/lookup-self` says about it.
 *
 * The token lives in memory; when the user asks, also in sessionStorage (this tab only, gone when
 * it closes). Never localStorage, never a cookie, never a URL.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { createApiClient, type ApiClient } from '../api/client';

/** The sessionStorage key of a remembered token. */
export const SESSION_STORAGE_KEY = 'coffer.token';

/** The lookup-self fields the UI shows. */
export interface TokenInfo {
  accessor?: string;
  display_name?: string;
  policies: string[];
  /** Seconds left (0 = no expiry). */
  ttl: number;
  expire_time: string | null;
  renewable: boolean;
  entity_id?: string;
}

/** What useSession() gives. */
export interface Session {
  token: string | null;
  info: TokenInfo | null;
  /** The API client bound to the current token. */
  api: ApiClient;
  /** Checks the token with lookup-self and keeps it (throws ApiError when the server refuses it). */
  login(token: string, options?: { remember?: boolean }): Promise<void>;
  /** Forgets the token; with `revoke`, first revokes it on the server (auth/token/revoke-self). */
  logout(revoke?: boolean): Promise<void>;
  /** Re-reads lookup-self (e.g. after a renew). */
  refresh(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

function toInfo(data: Record<string, unknown>): TokenInfo {
  return {
    accessor: data.accessor as string | undefined,
    display_name: data.display_name as string | undefined,
    policies: Array.isArray(data.policies) ? (data.policies as string[]) : [],
    ttl: typeof data.ttl === 'number' ? data.ttl : 0,
    expire_time: (data.expire_time as string | null | undefined) ?? null,
    renewable: data.renewable === true,
    entity_id: data.entity_id as string | undefined,
  };
}

function storedToken(): string | null {
  try {
    return window.sessionStorage.getItem(SESSION_STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Provides the session to the app. `initialToken` is for tests. */
export function SessionProvider({ children, initialToken }: { children: ReactNode; initialToken?: string }) {
  const [token, setToken] = useState<string | null>(() => initialToken ?? storedToken());
  const [info, setInfo] = useState<TokenInfo | null>(null);
  // The client reads the token through a ref so it stays one stable object.
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const api = useMemo(() => createApiClient(() => tokenRef.current), []);

  const forget = useCallback(() => {
    try {
      window.sessionStorage.removeItem(SESSION_STORAGE_KEY);
    } catch {
      // Storage may be disabled; the in-memory token is gone either way.
    }
    tokenRef.current = null;
    setToken(null);
    setInfo(null);
  }, []);

  const login = useCallback(async (candidate: string, options: { remember?: boolean } = {}) => {
    const trimmed = candidate.trim();
    const res = await api.read('auth/token/lookup-self', { token: trimmed });
    tokenRef.current = trimmed;
    setToken(trimmed);
    setInfo(toInfo(res.data));
    try {
      if (options.remember) window.sessionStorage.setItem(SESSION_STORAGE_KEY, trimmed);
      else window.sessionStorage.removeItem(SESSION_STORAGE_KEY);
    } catch {
      // Without storage the token is simply not remembered.
    }
  }, [api]);

  const logout = useCallback(async (revoke = false) => {
    try {
      if (revoke && tokenRef.current) await api.write('auth/token/revoke-self');
    } finally {
      forget();
    }
  }, [api, forget]);

  const refresh = useCallback(async () => {
    if (!tokenRef.current) return;
    try {
      setInfo(toInfo((await api.read('auth/token/lookup-self')).data));
    } catch (err) {
      // A token the server no longer knows (expired, revoked) ends the session.
      if ((err as { status?: number }).status === 403) forget();
      else throw err;
    }
  }, [api, forget]);

  // A remembered token: load its details once.
  useEffect(() => {
    if (token && !info) void refresh().catch(() => undefined);
    // Only a token change matters here (refresh is stable; info is what it loads).
  }, [token]);

  const value = useMemo<Session>(() => ({ token, info, api, login, logout, refresh }), [token, info, api, login, logout, refresh]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The current session (inside SessionProvider). */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession() outside <SessionProvider>');
  return s;
}

/** The session, or null outside a provider (for components usable without one, like ErrorPanel). */
export function useOptionalSession(): Session | null {
  return useContext(SessionContext);
}

/** The API client of the current session. */
export function useApi(): ApiClient {
  return useSession().api;
}
