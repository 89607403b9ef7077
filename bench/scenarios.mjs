// Benchmark scenarios on the plain-HTTP Coffer server (SQLite, file audit device on). Each `setup`
// prepares the server over its HTTP API and returns the request to repeat (path, method, headers,
// body; `{n}`/`{v}` are filled per request by bench/cannon.mjs) and, optionally,
// its own number of connections.
import { api } from './lib.mjs';

export const scenarios = [
  {
    name: 'kv v2 read (policy token)',
    async setup({ target, token }) {
      await api(target, token, 'PUT', 'sys/policies/acl/bench-read', { policy: 'path "secret/data/bench" { capabilities = ["read"] }' });
      await api(target, token, 'POST', 'secret/data/bench', { data: { username: 'app', password: 'correct horse battery staple' } });
      const created = await api(target, token, 'POST', 'auth/token/create', { policies: ['bench-read'], ttl: '1h' });
      return { path: '/v1/secret/data/bench', headers: { 'x-vault-token': created.auth.client_token } };
    },
  },
  {
    name: 'approle login (durable token write)',
    async setup({ target, token }) {
      await api(target, token, 'POST', 'sys/auth/approle', { type: 'approle' });
      await api(target, token, 'POST', 'auth/approle/role/bench', { token_policies: 'bench-read', token_ttl: '10m' });
      const roleId = (await api(target, token, 'GET', 'auth/approle/role/bench/role-id')).data.role_id;
      const secretId = (await api(target, token, 'POST', 'auth/approle/role/bench/secret-id')).data.secret_id;
      return {
        path: '/v1/auth/approle/login',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ role_id: roleId, secret_id: secretId }),
      };
    },
  },
  {
    name: 'transit encrypt 1 KiB (policy token)',
    async setup({ target, token }) {
      await api(target, token, 'POST', 'sys/mounts/transit', { type: 'transit' });
      await api(target, token, 'POST', 'transit/keys/bench', { type: 'aes256-gcm96' });
      await api(target, token, 'PUT', 'sys/policies/acl/bench-transit', { policy: 'path "transit/encrypt/bench" { capabilities = ["update"] }' });
      const created = await api(target, token, 'POST', 'auth/token/create', { policies: ['bench-transit'], ttl: '1h' });
      const plaintext = Buffer.alloc(1024, 'x').toString('base64');
      return {
        path: '/v1/transit/encrypt/bench',
        method: 'POST',
        headers: { 'x-vault-token': created.auth.client_token, 'content-type': 'application/json' },
        body: JSON.stringify({ plaintext }),
      };
    },
  },
  {
    name: 'transit batch encrypt 1,000 x 1 KiB',
    // Compared with Node's own AES-256-GCM over the same 1,000 items (bench/run.mjs).
    itemsPerRequest: 1000,
    async setup({ target, token }) {
      await api(target, token, 'POST', 'transit/keys/bench-batch', { type: 'aes256-gcm96' });
      await api(target, token, 'PUT', 'sys/policies/acl/bench-batch', { policy: 'path "transit/encrypt/bench-batch" { capabilities = ["update"] }' });
      const created = await api(target, token, 'POST', 'auth/token/create', { policies: ['bench-batch'], ttl: '1h' });
      const plaintext = Buffer.alloc(1024, 'x').toString('base64');
      return {
        path: '/v1/transit/encrypt/bench-batch',
        method: 'POST',
        headers: { 'x-vault-token': created.auth.client_token, 'content-type': 'application/json' },
        body: JSON.stringify({ batch_input: Array.from({ length: 1000 }, () => ({ plaintext })) }),
        connections: 4,
      };
    },
  },
];

/** The durable-write scenario: 64 KV v2 secrets get new versions in turn (one per connection: see bench/cannon.mjs). */
export async function kvWriteSetup({ target, token }) {
  await api(target, token, 'PUT', 'sys/policies/acl/bench-write', { policy: 'path "secret/data/w/*" { capabilities = ["create", "update"] }' });
  const created = await api(target, token, 'POST', 'auth/token/create', { policies: ['bench-write'], ttl: '1h' });
  return {
    path: '/v1/secret/data/w/{n}',
    method: 'POST',
    headers: { 'x-vault-token': created.auth.client_token, 'content-type': 'application/json' },
    body: '{"data":{"v":"{v}","note":"a new version per request"}}',
  };
}
