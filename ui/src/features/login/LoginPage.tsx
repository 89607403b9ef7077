import { useId, useState } from 'react';
import { isApiError } from '../../api/client';
import { Field, Form } from '../../components';
import { currentQuery, Link, navigate } from '../../router';
import { useSession } from '../../session';
import { LOGIN_METHODS, loginRequest, type LoginMethod } from './methods';

/**
 * Log in with a token (checked with auth/token/lookup-self before it is kept), a username and
 * password (userpass) or a role ID and secret ID (AppRole). The last two trade their
 * credentials for a token at the auth method's login endpoint; that token becomes the session's.
 */
export function LoginPage() {
  const { login, token, info } = useSession();
  const methodId = useId();
  const [method, setMethod] = useState<LoginMethod>('token');
  const [value, setValue] = useState('');
  const [mount, setMount] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [roleId, setRoleId] = useState('');
  const [secretId, setSecretId] = useState('');
  const [remember, setRemember] = useState(false);
  const { api } = useSession();

  if (token) {
    return (
      <section aria-labelledby="login-h">
        <h1 id="login-h">Logged in</h1>
        <p>
          {info?.display_name ?? 'token'} with policies <strong>{info?.policies.join(', ') || '…'}</strong>. See <Link to="/session">your session</Link> for its expiry, renewal and logging
          out.
        </p>
      </section>
    );
  }
  const selected = LOGIN_METHODS.find((m) => m.value === method)!;

  const finish = () => {
    const next = currentQuery().get('next');
    navigate(next && next.startsWith('/') && !next.startsWith('/login') ? next : '/status');
  };

  return (
    <section aria-labelledby="login-h" className="narrow">
      <h1 id="login-h">Log in to Coffer</h1>
      <div className="field login-method">
        <label htmlFor={methodId}>Login method</label>
        <select id={methodId} value={method} onChange={(e) => setMethod(e.target.value as LoginMethod)}>
          {LOGIN_METHODS.map((m) => (
            <option key={m.value} value={m.value}>
              {m.label}
            </option>
          ))}
        </select>
      </div>
      <Form
        label={method === 'token' ? 'Log in with a token' : `Log in with ${method}`}
        submitLabel="Log in"
        onSubmit={async () => {
          if (method === 'token') {
            try {
              await login(value, { remember });
            } catch (err) {
              // lookup-self answers 403 for a token it does not know: say so plainly.
              if (isApiError(err) && err.status === 403) throw new Error('The server refused this token: it is unknown, expired or revoked.');
              throw err;
            }
            setValue('');
          } else {
            const { path, body } = loginRequest(method, mount, { username, password, roleId, secretId });
            let issued: string | undefined;
            try {
              const res = await api.write(path, body, { token: null });
              issued = res?.auth?.client_token as string | undefined;
            } catch (err) {
              if (isApiError(err) && err.status === 404) throw new Error(`Nothing answers at ${err.path}: is the ${method} auth method mounted at that path?`);
              throw err;
            }
            if (!issued) throw new Error('The server answered the login without a token.');
            await login(issued, { remember });
            setPassword('');
            setSecretId('');
          }
          finish();
        }}
      >
        {method === 'token' && (
          <Field label="Token" type="password" name="token" autoComplete="off" required value={value} onChange={(e) => setValue(e.target.value)} hint="The token is kept in this page's memory only, unless you tick the box below." />
        )}
        {method !== 'token' && (
          <Field label="Mount path" name="mount" autoComplete="off" placeholder={selected.defaultMount} value={mount} onChange={(e) => setMount(e.target.value)} hint={`Where the auth method is enabled (default ${selected.defaultMount}).`} />
        )}
        {method === 'userpass' && (
          <>
            <Field label="Username" name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
            <Field label="Password" type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          </>
        )}
        {method === 'approle' && (
          <>
            <Field label="Role ID" name="role-id" autoComplete="off" required value={roleId} onChange={(e) => setRoleId(e.target.value)} />
            <Field label="Secret ID" type="password" name="secret-id" autoComplete="off" value={secretId} onChange={(e) => setSecretId(e.target.value)} hint="Leave empty for a role that does not require one." />
          </>
        )}
        <div className="field checkbox">
          <input id="remember" type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          <label htmlFor="remember">Remember in this browser tab (sessionStorage, cleared when the tab closes)</label>
        </div>
      </Form>
    </section>
  );
}
