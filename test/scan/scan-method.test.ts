/**
 * The SCAN verb on the socket: `SCAN ` at the start of a request becomes the same-length `BIND`
 * (which Node's parser accepts), never inside a body, a target or a longer method; a method
 * split inside `SCAN` is left alone (llhttp refuses it, as before).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ListMethodRewriter, SCAN_ALIAS_METHOD } from '../../src/api/http/list-method.js';

/** Feeds `input` cut at `cuts`; returns what the parser would see. */
function run(input: string, cuts: number[] = []): string {
  const buf = Buffer.from(input, 'latin1');
  const rw = new ListMethodRewriter();
  let prev = 0;
  for (const cut of [...cuts, buf.length]) {
    rw.feed(buf.subarray(prev, cut));
    prev = cut;
  }
  return buf.toString('latin1');
}

const req = (method: string, target: string, body = ''): string =>
  `${method} ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

test('rewrites SCAN request methods only, in a pipelined stream', () => {
  assert.equal(SCAN_ALIAS_METHOD, 'BIND');
  const stream = req('SCAN', '/v1/secret/metadata/?limit=2') + req('POST', '/v1/x', 'SCAN /v1/y HTTP/1.1\r\n') + req('SCANX', '/v1/z') + req('LIST', '/v1/l/') + req('SCAN', '/v1/w/');
  const want = stream
    .replace('SCAN /v1/secret', 'BIND /v1/secret')
    .replace('LIST /v1/l/', 'LINK /v1/l/')
    .replace('SCAN /v1/w/', 'BIND /v1/w/');
  assert.equal(run(stream), want);
});

test('a SCAN method split across chunks is left alone', () => {
  const stream = req('SCAN', '/v1/a/');
  assert.equal(run(stream, [2]), stream);
});
