import { isApiError } from '../api/client';
import { useOptionalSession } from '../session';

/** The sentence ErrorPanel shows for an error (exported for tests and for inline messages). */
export function describeError(error: unknown, policies?: readonly string[]): string {
  if (isApiError(error)) {
    if (error.status === 403) {
      const list = policies && policies.length ? policies.join(', ') : 'unknown (not logged in?)';
      return `permission denied: ${error.operation} on ${error.path} was refused — your token's policies are ${list}`;
    }
    if (error.status === 404 && error.errors.length === 0) return `nothing found at ${error.path}`;
    if (error.status === 0) return error.errors.join('; ');
    const detail = error.errors.length ? error.errors.join('; ') : `HTTP ${error.status}`;
    return `${error.operation} on ${error.path} failed (${error.status}): ${detail}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Shows a failed call (ApiError or any error) as an alert; nothing when `error` is null/undefined. */
export function ErrorPanel({ error, title = 'Something went wrong', onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  const session = useOptionalSession();
  if (error === null || error === undefined) return null;
  return (
    <div className="error-panel" role="alert">
      <strong>{isApiError(error) && error.status === 403 ? 'Permission denied' : title}</strong>
      <p>{describeError(error, session?.info?.policies)}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
