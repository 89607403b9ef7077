/** The login methods of the login page and the API call each makes (pure, tested). */

/** A way to log in. */
export type LoginMethod = 'token' | 'userpass' | 'approle';

/** The select's options, in order. */
export const LOGIN_METHODS: { value: LoginMethod; label: string; defaultMount?: string }[] = [
  { value: 'token', label: 'Token' },
  { value: 'userpass', label: 'Username and password (userpass)', defaultMount: 'userpass' },
  { value: 'approle', label: 'AppRole (role ID and secret ID)', defaultMount: 'approle' },
];

/** Normalises a mount path the user typed (`/userpass/` → `userpass`); empty → the default. */
export function mountPath(typed: string, fallback: string): string {
  const p = typed.trim().replace(/^\/+|\/+$/g, '');
  return p === '' ? fallback : p;
}

/** The login call of a method: the API path (under /v1/) and the JSON body. */
export function loginRequest(method: Exclude<LoginMethod, 'token'>, mount: string, fields: { username?: string; password?: string; roleId?: string; secretId?: string }): { path: string; body: Record<string, string> } {
  if (method === 'userpass') {
    const user = (fields.username ?? '').trim();
    if (!user) throw new Error('Enter a username.');
    if (!fields.password) throw new Error('Enter the password.');
    return { path: `auth/${mountPath(mount, 'userpass')}/login/${user}`, body: { password: fields.password } };
  }
  const roleId = (fields.roleId ?? '').trim();
  if (!roleId) throw new Error('Enter the role ID.');
  const body: Record<string, string> = { role_id: roleId };
  // A role with bind_secret_id=false logs in with the role ID alone.
  if (fields.secretId) body.secret_id = fields.secretId.trim();
  return { path: `auth/${mountPath(mount, 'approle')}/login`, body };
}
