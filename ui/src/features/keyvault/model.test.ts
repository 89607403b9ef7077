import { describe, expect, it } from 'vitest';
import {
  KEY_PERMISSIONS,
  SECRET_PERMISSIONS,
  accessPolicyName,
  accessPolicyWhat,
  base64UrlToBytes,
  bytesToBase64Url,
  formatTags,
  fromLocalInput,
  gridChanges,
  parseTags,
  parseVaultPolicy,
  policyComment,
  rolePolicyName,
  secretNameProblem,
  showDate,
  toLocalInput,
  togglePermission,
  vaultNameProblem,
} from './model';

describe('names', () => {
  it('accepts Azure vault names and explains the others', () => {
    for (const ok of ['abc', 'My-Vault-1', 'a'.repeat(24)]) expect(vaultNameProblem(ok)).toBeUndefined();
    for (const bad of ['ab', '1abc', 'abc-', 'a--b', 'a'.repeat(25), 'a_b', '']) expect(vaultNameProblem(bad)).toBeTruthy();
    expect(secretNameProblem('db-password-2')).toBeUndefined();
    expect(secretNameProblem('a/b')).toMatch(/letters, digits and hyphens/);
    expect(secretNameProblem('a'.repeat(128))).toBeTruthy();
  });
});

describe('dates and tags', () => {
  it('round-trips datetime-local values as UTC unix seconds', () => {
    expect(fromLocalInput('2030-01-31T12:00', 'Expires')).toBe(Date.UTC(2030, 0, 31, 12) / 1000);
    expect(toLocalInput(Date.UTC(2030, 0, 31, 12) / 1000)).toBe('2030-01-31T12:00');
    expect(fromLocalInput('', 'Expires')).toBeUndefined();
    expect(() => fromLocalInput('tomorrow', 'Expires')).toThrow(/Expires must be a date/);
    expect(showDate(Date.UTC(2026, 10, 22, 12) / 1000)).toBe('2026-11-22 12:00:00Z');
    expect(showDate(undefined)).toBe('—');
  });

  it('parses key=value tags per line or comma, and formats them back sorted', () => {
    expect(parseTags('env=dev\n team = core ,flag\n\n')).toEqual({ env: 'dev', team: 'core', flag: '' });
    expect(parseTags('url=a=b')).toEqual({ url: 'a=b' });
    expect(() => parseTags('=x')).toThrow(/invalid tag/);
    expect(formatTags({ b: '2', a: '1' })).toBe('a=1\nb=2');
  });
});

describe('base64url', () => {
  it('round-trips bytes, including large and non-ASCII ones', () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) % 256);
    const text = bytesToBase64Url(bytes);
    expect(text).not.toMatch(/[+/=]/);
    expect(base64UrlToBytes(text)).toEqual(bytes);
    expect(bytesToBase64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(() => base64UrlToBytes('not base64!')).toThrow();
  });
});

describe('access policies', () => {
  const oid = '3E157650-d901-4832-bafd-b0a6b0068e63';
  it('names and comments policies as the CLI does', () => {
    expect(accessPolicyName('v1', oid)).toBe(`keyvault-v1-${oid.toLowerCase()}`);
    expect(rolePolicyName('v1', oid, 'Key Vault Secrets User')).toBe(`keyvault-v1-${oid.toLowerCase()}-role-key-vault-secrets-user`);
    expect(policyComment('v1', oid, accessPolicyWhat(['get', 'list'], ['sign']))).toBe(`coffer: vault=v1 principal=${oid} secret-permissions=get,list key-permissions=sign`);
    expect(accessPolicyWhat([], ['get'])).toBe('key-permissions=get');
  });

  it('reads back access policies and roles of this vault only', () => {
    const name = accessPolicyName('a', oid);
    expect(parseVaultPolicy('a', name, `# coffer: vault=a principal=${oid} secret-permissions=get,list\npath "x" {}`)).toEqual({ name, principal: oid, permissions: ['get', 'list'], keyPermissions: [] });
    expect(parseVaultPolicy('a', name, `# coffer: vault=a principal=${oid} key-permissions=sign,verify`)).toEqual({ name, principal: oid, permissions: [], keyPermissions: ['sign', 'verify'] });
    expect(parseVaultPolicy('a', `${name}-role-x`, `# coffer: vault=a principal=${oid} role=Key Vault Secrets User`)).toEqual({ name: `${name}-role-x`, principal: oid, role: 'Key Vault Secrets User' });
    // Vault "a" must not pick up vault "a-b"'s policy, nor a hand-written one.
    expect(parseVaultPolicy('a', `keyvault-a-b-${oid}`, `# coffer: vault=a-b principal=${oid} secret-permissions=get`)).toBeNull();
    expect(parseVaultPolicy('a', name, 'path "keyvault/a/*" { capabilities = ["read"] }')).toBeNull();
    expect(parseVaultPolicy('a', 'other', `# coffer: vault=a principal=${oid} secret-permissions=get`)).toBeNull();
  });

  it('toggles permissions in canonical order', () => {
    expect(togglePermission(SECRET_PERMISSIONS, ['list'], 'get', true)).toEqual(['get', 'list']);
    expect(togglePermission(SECRET_PERMISSIONS, ['get', 'list'], 'get', false)).toEqual(['list']);
    expect(togglePermission(KEY_PERMISSIONS, ['sign'], 'wrapKey', true)).toEqual(['wrapKey', 'sign']);
  });

  it('computes what saving the grid grants and revokes', () => {
    const saved = [{ objectId: 'a', secrets: ['get'], keys: [] }, { objectId: 'b', secrets: ['get'], keys: [] }, { objectId: 'c', secrets: ['list'], keys: [] }];
    const edited = [
      { objectId: 'a', secrets: ['get'], keys: [] }, // unchanged
      { objectId: 'b', secrets: [], keys: [] }, // emptied → revoke
      { objectId: 'c', secrets: ['list'], keys: ['get'] }, // changed → grant
      { objectId: 'd', secrets: ['get'], keys: [] }, // new → grant
      { objectId: 'e', secrets: [], keys: [] }, // new but empty → nothing
    ];
    expect(gridChanges(saved, edited)).toEqual([
      { kind: 'revoke', objectId: 'b' },
      { kind: 'grant', row: edited[2] },
      { kind: 'grant', row: edited[3] },
    ]);
  });
});
