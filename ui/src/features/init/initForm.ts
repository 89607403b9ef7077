/** Validation of the init form and the file the key shares are saved to (pure, tested). */

/** The answer of `PUT sys/init`. */
export interface InitResult {
  keys: string[];
  keys_base64: string[];
  root_token: string | null;
}

/** The most shares Shamir's scheme allows here (one byte of x coordinate). */
export const MAX_SHARES = 255;

/** The reasons the numbers cannot be used, per field (empty object: valid). */
export function validateInit(sharesText: string, thresholdText: string): { shares?: string; threshold?: string } {
  const errors: { shares?: string; threshold?: string } = {};
  const shares = Number(sharesText);
  const threshold = Number(thresholdText);
  if (!/^\d+$/.test(sharesText.trim()) || shares < 1 || shares > MAX_SHARES) errors.shares = `Key shares must be a whole number from 1 to ${MAX_SHARES}.`;
  if (!/^\d+$/.test(thresholdText.trim()) || threshold < 1) errors.threshold = 'Key threshold must be a whole number of at least 1.';
  else if (!errors.shares && threshold > shares) errors.threshold = `Key threshold cannot be more than the number of shares (${shares}).`;
  else if (!errors.shares && shares > 1 && threshold < 2) errors.threshold = 'With more than one share the threshold must be at least 2 (else any single share unseals).';
  return errors;
}

/** The JSON file offered for download (the same field names as `coffer operator init -format=json`). */
export function initFileJson(result: InitResult, threshold: number): string {
  return `${JSON.stringify({ unseal_keys_b64: result.keys_base64, unseal_keys_hex: result.keys, unseal_shares: result.keys.length, unseal_threshold: threshold, root_token: result.root_token }, null, 2)}\n`;
}

/** The plain-text file offered for download (the `coffer operator init` layout). */
export function initFileText(result: InitResult, threshold: number): string {
  const lines = result.keys_base64.map((k, i) => `Unseal Key ${i + 1}: ${k}`);
  if (result.root_token) lines.push('', `Initial Root Token: ${result.root_token}`);
  lines.push('', `The server is sealed. Unsealing it needs ${threshold} of these ${result.keys.length} key shares.`, 'Keep each share with a different person, in a safe place: they are not shown again.');
  return `${lines.join('\n')}\n`;
}
