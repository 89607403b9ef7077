export { SessionProvider, useSession, useOptionalSession, useApi, SESSION_STORAGE_KEY, type Session, type TokenInfo } from './session';
