/** JSON <-> bytes for values that engines keep in their (barrier-encrypted) storage views. */

/** Encodes any JSON value for storage. */
export function encodeJson(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Decodes a stored JSON value. */
export function decodeJson<T>(bytes: Uint8Array): T {
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as T;
}
