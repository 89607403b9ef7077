// Benchmark scenarios. Each `setup` prepares the server over its HTTP API and returns the
// request to repeat (path, method, headers, body, expected status).

async function api(url, token, method, path, body) {
  const res = await fetch(`${url}/v1/${path}`, {
    method,
    headers: { 'x-vault-token': token, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export const scenarios = [
  {
    name: 'kv v2 read (policy token, audit on)',
    async setup({ url, rootToken, dir }) {
      await api(url, rootToken, 'PUT', 'sys/audit/file', { type: 'file', options: { file_path: `${dir}/audit.log` } });
      await api(url, rootToken, 'PUT', 'sys/policies/acl/bench-read', { policy: 'path "secret/data/bench" { capabilities = ["read"] }' });
      await api(url, rootToken, 'POST', 'secret/data/bench', { data: { username: 'app', password: 'correct horse battery staple' } });
      const created = await api(url, rootToken, 'POST', 'auth/token/create', { policies: ['bench-read'], ttl: '1h' });
      return { path: '/v1/secret/data/bench', headers: { 'x-vault-token': created.auth.client_token } };
    },
  },
  {
    name: 'approle login (audit on)',
    async setup({ url, rootToken }) {
      await api(url, rootToken, 'POST', 'sys/auth/approle', { type: 'approle' });
      await api(url, rootToken, 'POST', 'auth/approle/role/bench', { token_policies: 'bench-read', token_ttl: '10m' });
      const roleId = (await api(url, rootToken, 'GET', 'auth/approle/role/bench/role-id')).data.role_id;
      const secretId = (await api(url, rootToken, 'POST', 'auth/approle/role/bench/secret-id')).data.secret_id;
      return {
        path: '/v1/auth/approle/login',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ role_id: roleId, secret_id: secretId }),
      };
    },
  },
  {
    name: 'transit encrypt 1 KiB (policy, audit)',
    async setup({ url, rootToken, dir }) {
      // Audit on, as for the KV read beside it (enabled here only when no device is yet).
      const audits = await api(url, rootToken, 'GET', 'sys/audit');
      if (Object.keys(audits.data ?? {}).length === 0) {
        await api(url, rootToken, 'PUT', 'sys/audit/file', { type: 'file', options: { file_path: `${dir}/audit.log` } });
      }
      await api(url, rootToken, 'POST', 'sys/mounts/transit', { type: 'transit' });
      await api(url, rootToken, 'POST', 'transit/keys/bench', { type: 'aes256-gcm96' });
      await api(url, rootToken, 'PUT', 'sys/policies/acl/bench-transit', { policy: 'path "transit/encrypt/bench" { capabilities = ["update"] }' });
      const created = await api(url, rootToken, 'POST', 'auth/token/create', { policies: ['bench-transit'], ttl: '1h' });
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
    async setup({ url, rootToken }) {
      const mounts = await api(url, rootToken, 'GET', 'sys/mounts');
      if (!mounts.data?.['transit/']) await api(url, rootToken, 'POST', 'sys/mounts/transit', { type: 'transit' });
      await api(url, rootToken, 'POST', 'transit/keys/bench-batch', { type: 'aes256-gcm96' });
      await api(url, rootToken, 'PUT', 'sys/policies/acl/bench-batch', { policy: 'path "transit/encrypt/bench-batch" { capabilities = ["update"] }' });
      const created = await api(url, rootToken, 'POST', 'auth/token/create', { policies: ['bench-batch'], ttl: '1h' });
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
