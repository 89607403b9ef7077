import { useState } from 'react';
import { isApiError } from '../../api/client';
import { Field, Form } from '../../components';
import { currentQuery, navigate } from '../../router';
import { useSession } from '../../session';

/** Log in with a token (checked with auth/token/lookup-self before it is kept). */
export function LoginPage() {
  const { login, token, info, logout } = useSession();
  const [value, setValue] = useState('');
  const [remember, setRemember] = useState(false);

  if (token) {
    return (
      <section aria-labelledby="login-h">
        <h1 id="login-h">Logged in</h1>
        <p>
          {info?.display_name ?? 'token'} with policies <strong>{info?.policies.join(', ') || '…'}</strong>.
        </p>
        <div className="actions">
          <button type="button" onClick={() => void logout(false)}>
            Log out
          </button>
        </div>
      </section>
    );
  }
  return (
    <section aria-labelledby="login-h" className="narrow">
      <h1 id="login-h">Log in to Coffer</h1>
      <Form
        label="Log in with a token"
        submitLabel="Log in"
        onSubmit={async () => {
          try {
            await login(value, { remember });
          } catch (err) {
            // lookup-self answers 403 for a token it does not know: say so plainly.
            if (isApiError(err) && err.status === 403) throw new Error('The server refused this token: it is unknown, expired or revoked.');
            throw err;
          }
          setValue('');
          const next = currentQuery().get('next');
          navigate(next && next.startsWith('/') && !next.startsWith('/login') ? next : '/status');
        }}
      >
        <Field label="Token" type="password" name="token" autoComplete="off" required value={value} onChange={(e) => setValue(e.target.value)} hint="The token is kept in this page's memory only, unless you tick the box below." />
        <div className="field checkbox">
          <input id="remember" type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          <label htmlFor="remember">Remember in this browser tab (sessionStorage, cleared when the tab closes)</label>
        </div>
      </Form>
    </section>
  );
}
