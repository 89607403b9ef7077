/** Form helpers for the auth pages (pure, unit-tested). */

/** "a, b,c" or "a\nb" → ["a", "b", "c"] (trimmed, no blanks). */
export function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A list as shown in an input. */
export function joinList(value: unknown): string {
  return Array.isArray(value) ? value.join(', ') : typeof value === 'string' ? value : '';
}

/** The AppRole role fields edited by the form, as strings. */
export interface RoleForm {
  token_policies: string;
  token_ttl: string;
  token_max_ttl: string;
  token_num_uses: string;
  token_bound_cidrs: string;
  token_type: string;
  secret_id_ttl: string;
  secret_id_num_uses: string;
  secret_id_bound_cidrs: string;
  bind_secret_id: boolean;
}

/** An empty role form (the server's defaults apply to what is left empty). */
export const EMPTY_ROLE: RoleForm = {
  token_policies: '',
  token_ttl: '',
  token_max_ttl: '',
  token_num_uses: '',
  token_bound_cidrs: '',
  token_type: '',
  secret_id_ttl: '',
  secret_id_num_uses: '',
  secret_id_bound_cidrs: '',
  bind_secret_id: true,
};

/** A role as read from auth/<mount>/role/<name> → the form. Durations are seconds. */
export function roleToForm(data: Record<string, unknown>): RoleForm {
  const num = (k: string) => (typeof data[k] === 'number' ? String(data[k]) : '');
  return {
    token_policies: joinList(data.token_policies),
    token_ttl: num('token_ttl'),
    token_max_ttl: num('token_max_ttl'),
    token_num_uses: num('token_num_uses'),
    token_bound_cidrs: joinList(data.token_bound_cidrs),
    token_type: typeof data.token_type === 'string' ? data.token_type : '',
    secret_id_ttl: num('secret_id_ttl'),
    secret_id_num_uses: num('secret_id_num_uses'),
    secret_id_bound_cidrs: joinList(data.secret_id_bound_cidrs),
    bind_secret_id: data.bind_secret_id !== false,
  };
}

/**
 * The form → the write body. Durations go as typed ("1h" or seconds) for the server to check;
 * empty fields are sent as their reset value on edit (so clearing a field clears it) and left
 * out on create.
 */
export function formToRole(f: RoleForm, editing: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { bind_secret_id: f.bind_secret_id };
  const str = (k: keyof RoleForm, reset: unknown) => {
    const v = String(f[k]).trim();
    if (v) body[k] = /^\d+$/.test(v) ? Number(v) : v;
    else if (editing) body[k] = reset;
  };
  const list = (k: keyof RoleForm) => {
    const v = splitList(String(f[k]));
    if (v.length || editing) body[k] = v;
  };
  list('token_policies');
  str('token_ttl', 0);
  str('token_max_ttl', 0);
  str('token_num_uses', 0);
  list('token_bound_cidrs');
  if (f.token_type) body.token_type = f.token_type;
  str('secret_id_ttl', 0);
  str('secret_id_num_uses', 0);
  list('secret_id_bound_cidrs');
  return body;
}

/** A mount path as typed ("/approle/" → "approle"); undefined when empty or malformed. */
export function cleanMountPath(text: string): string | undefined {
  const p = text.trim().replace(/^\/+|\/+$/g, '');
  if (!p || p.split('/').some((s) => s === '' || s === '.' || s === '..')) return undefined;
  return p;
}
