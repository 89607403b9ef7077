import { describe, expect, it } from 'vitest';
import { initFileJson, initFileText, validateInit } from './initForm';

describe('init form', () => {
  it('accepts sane numbers and explains each bad one', () => {
    expect(validateInit('5', '3')).toEqual({});
    expect(validateInit('1', '1')).toEqual({});
    expect(validateInit('0', '1').shares).toMatch(/1 to 255/);
    expect(validateInit('256', '3').shares).toMatch(/1 to 255/);
    expect(validateInit('2.5', '2').shares).toMatch(/whole number/);
    expect(validateInit('3', '4').threshold).toMatch(/cannot be more than the number of shares \(3\)/);
    expect(validateInit('3', '1').threshold).toMatch(/at least 2/);
    expect(validateInit('3', '').threshold).toMatch(/whole number/);
  });

  it('writes the shares and root token to the download files', () => {
    const r = { keys: ['aa', 'bb'], keys_base64: ['qg==', 'uw=='], root_token: 'hvs.root' };
    const json = JSON.parse(initFileJson(r, 2));
    expect(json).toEqual({ unseal_keys_b64: ['qg==', 'uw=='], unseal_keys_hex: ['aa', 'bb'], unseal_shares: 2, unseal_threshold: 2, root_token: 'hvs.root' });
    const text = initFileText(r, 2);
    expect(text).toContain('Unseal Key 1: qg==\nUnseal Key 2: uw==');
    expect(text).toContain('Initial Root Token: hvs.root');
    expect(text).toContain('needs 2 of these 2 key shares');
    expect(initFileText({ ...r, root_token: null }, 2)).not.toContain('Root Token');
  });
});
