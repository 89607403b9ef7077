/**
 * ECDSA over a digest the caller computed (Key Vault's ES256/384/512 sign a digest; transit's
 * `prehashed`). node:crypto only signs messages it hashes itself, so:
 *
 * - Signing: the secret scalar multiplication k·G is OpenSSL's (constant time, through ECDH
 *   with k as the private key); the modular arithmetic on the secrets is blinded by a fresh
 *   random b: s = (k·b)⁻¹ · (b·e + r·(b·d)) mod n, and the inverse is a fixed-exponent power,
 *   so what BigInt timing could reveal is about uniformly random values, not k or d.
 * - Verification uses only public values, in plain BigInt Jacobian arithmetic.
 *
 * Curve orders were checked against OpenSSL: (n-1)·G = -G and n is refused as a private key.
 */
import { createECDH, randomBytes, type KeyObject } from 'node:crypto';

interface Curve {
  openssl: string;
  p: bigint;
  n: bigint;
  bytes: number;
  bits: number;
}

const CURVES: Record<'P-256' | 'P-384' | 'P-521', Curve> = {
  'P-256': {
    openssl: 'prime256v1',
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    bytes: 32,
    bits: 256,
  },
  'P-384': {
    openssl: 'secp384r1',
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    bytes: 48,
    bits: 384,
  },
  'P-521': {
    openssl: 'secp521r1',
    p: 2n ** 521n - 1n,
    n: BigInt(`0x01ff${'ffffffff'.repeat(7)}fffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409`),
    bytes: 66,
    bits: 521,
  },
};

function toBig(buf: Buffer): bigint {
  return buf.length === 0 ? 0n : BigInt(`0x${buf.toString('hex')}`);
}

function toBuf(x: bigint, bytes: number): Buffer {
  return Buffer.from(x.toString(16).padStart(bytes * 2, '0'), 'hex');
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

/** Inverse modulo a prime by a fixed, public exponent (no data-dependent branching on the value). */
function invPrime(a: bigint, m: bigint): bigint {
  return modPow(a, m - 2n, m);
}

/** SEC1 4.1.3 step 5: the leftmost `bits` bits of the digest. */
function bits2int(digest: Buffer, c: Curve): bigint {
  const e = toBig(digest);
  const extra = digest.length * 8 - c.bits;
  return extra > 0 ? e >> BigInt(extra) : e;
}

function randomScalar(c: Curve): bigint {
  for (;;) {
    const x = toBig(randomBytes(c.bytes)) & ((1n << BigInt(c.bits)) - 1n);
    if (x > 0n && x < c.n) return x;
  }
}

function curveOf(key: KeyObject): Curve {
  const jwk = key.export({ format: 'jwk' });
  const c = CURVES[jwk.crv as keyof typeof CURVES];
  if (!c) throw new Error('unsupported curve');
  return c;
}

/** Signs `digest` with an EC private key; returns IEEE-P1363 `r || s`. */
export function ecdsaSignDigest(privateKey: KeyObject, digest: Buffer): Buffer {
  const jwk = privateKey.export({ format: 'jwk' });
  const c = curveOf(privateKey);
  const d = toBig(Buffer.from(jwk.d!, 'base64url'));
  const e = bits2int(digest, c);
  const ecdh = createECDH(c.openssl);
  for (;;) {
    const k = randomScalar(c);
    ecdh.setPrivateKey(toBuf(k, c.bytes));
    const R = ecdh.getPublicKey(); // 04 || x || y, computed by OpenSSL
    const r = mod(toBig(R.subarray(1, 1 + c.bytes)), c.n);
    if (r === 0n) continue;
    const b = randomScalar(c);
    const kbInv = invPrime((k * b) % c.n, c.n);
    const s = (kbInv * ((b * e + r * ((b * d) % c.n)) % c.n)) % c.n;
    if (s === 0n) continue;
    return Buffer.concat([toBuf(r, c.bytes), toBuf(s, c.bytes)]);
  }
}

/** A point in Jacobian coordinates (x = X/Z², y = Y/Z³); null is the point at infinity. */
type Jac = { X: bigint; Y: bigint; Z: bigint } | null;

function inv(a: bigint, m: bigint): bigint {
  // Extended Euclid: verification handles public values only, so speed wins here.
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, m);
}

// Jacobian formulas for a = -3 (dbl-2001-b, add-2007-bl), so no inversion until the end.
function dbl(P: Jac, p: bigint): Jac {
  if (!P || P.Y === 0n) return null;
  const delta = (P.Z * P.Z) % p;
  const gamma = (P.Y * P.Y) % p;
  const beta = (P.X * gamma) % p;
  const alpha = mod(3n * (P.X - delta) * (P.X + delta), p);
  const X = mod(alpha * alpha - 8n * beta, p);
  const Z = mod((P.Y + P.Z) ** 2n - gamma - delta, p);
  const Y = mod(alpha * (4n * beta - X) - 8n * gamma * gamma, p);
  return { X, Y, Z };
}

function add(P: Jac, Q: Jac, p: bigint): Jac {
  if (!P) return Q;
  if (!Q) return P;
  const z1z1 = (P.Z * P.Z) % p;
  const z2z2 = (Q.Z * Q.Z) % p;
  const u1 = (P.X * z2z2) % p;
  const u2 = (Q.X * z1z1) % p;
  const s1 = (P.Y * Q.Z * z2z2) % p;
  const s2 = (Q.Y * P.Z * z1z1) % p;
  if (u1 === u2) return s1 === s2 ? dbl(P, p) : null;
  const h = mod(u2 - u1, p);
  const i = (4n * h * h) % p;
  const j = (h * i) % p;
  const r = mod(2n * (s2 - s1), p);
  const v = (u1 * i) % p;
  const X = mod(r * r - j - 2n * v, p);
  const Y = mod(r * (v - X) - 2n * s1 * j, p);
  const Z = mod(((P.Z + Q.Z) ** 2n - z1z1 - z2z2) * h, p);
  return { X, Y, Z };
}

function mul(k: bigint, P: Jac, p: bigint): Jac {
  let R: Jac = null;
  let A = P;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) R = add(R, A, p);
    A = dbl(A, p);
  }
  return R;
}

function affineX(P: Jac, p: bigint): bigint | undefined {
  if (!P || P.Z === 0n) return undefined;
  const zi = inv(P.Z, p);
  return (P.X * zi * zi) % p;
}

/** Verifies an IEEE-P1363 `r || s` signature over `digest` with an EC public key. */
export function ecdsaVerifyDigest(publicKey: KeyObject, digest: Buffer, signature: Buffer): boolean {
  const c = curveOf(publicKey);
  if (signature.length !== 2 * c.bytes) return false;
  const r = toBig(signature.subarray(0, c.bytes));
  const s = toBig(signature.subarray(c.bytes));
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) return false;
  const jwk = publicKey.export({ format: 'jwk' });
  const Q: Jac = { X: toBig(Buffer.from(jwk.x!, 'base64url')), Y: toBig(Buffer.from(jwk.y!, 'base64url')), Z: 1n };
  const w = inv(s, c.n);
  const u1 = mod(bits2int(digest, c) * w, c.n);
  const u2 = mod(r * w, c.n);
  // u1·G by OpenSSL (u1 is public here, it is just the fast path), u2·Q in BigInt.
  let u1G: Jac = null;
  if (u1 !== 0n) {
    const ecdh = createECDH(c.openssl);
    ecdh.setPrivateKey(toBuf(u1, c.bytes));
    const g = ecdh.getPublicKey();
    u1G = { X: toBig(g.subarray(1, 1 + c.bytes)), Y: toBig(g.subarray(1 + c.bytes)), Z: 1n };
  }
  const x = affineX(add(u1G, mul(u2, Q, c.p), c.p), c.p);
  return x !== undefined && mod(x, c.n) === r;
}

/** IEEE-P1363 `r || s` to DER `SEQUENCE { INTEGER r, INTEGER s }`. */
export function p1363ToDer(sig: Buffer): Buffer {
  const half = sig.length / 2;
  const int = (b: Buffer) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b[i]! & 0x80 ? Buffer.concat([Buffer.from([0]), b.subarray(i)]) : b.subarray(i);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(sig.subarray(0, half)), int(sig.subarray(half))]);
  const len = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([0x30]), len, body]);
}

/** DER to IEEE-P1363 with `bytes` per integer; undefined when the DER is malformed. */
export function derToP1363(der: Buffer, bytes: number): Buffer | undefined {
  let i = 0;
  if (der[i++] !== 0x30) return undefined;
  let len = der[i++];
  if (len === 0x81) len = der[i++];
  else if (len === undefined || len >= 0x80) return undefined;
  if (len !== der.length - i) return undefined;
  const parts: Buffer[] = [];
  for (let n = 0; n < 2; n++) {
    if (der[i++] !== 0x02) return undefined;
    const l = der[i++];
    if (l === undefined || l === 0 || l >= 0x80 || i + l > der.length) return undefined;
    let v = der.subarray(i, i + l);
    i += l;
    while (v.length > 1 && v[0] === 0) v = v.subarray(1);
    if (v.length > bytes) return undefined;
    parts.push(Buffer.concat([Buffer.alloc(bytes - v.length), v]));
  }
  return i === der.length ? Buffer.concat(parts) : undefined;
}

/** Bytes of each of r and s for a curve. */
export function ecdsaScalarBytes(curve: 'P-256' | 'P-384' | 'P-521'): number {
  return CURVES[curve].bytes;
}
