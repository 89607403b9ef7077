/**
 * One bounded HTTP POST to a webhook receiver (deliveries and the Event Grid validation
 * handshake): a deadline for the whole exchange, no redirects followed, the destination vetted
 * on the address actually connected to, at most 4 KiB of the answer kept.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { DestinationPolicy } from './destination.js';

/**
 * POSTs `body` to `url` with a deadline of `timeoutMs` for the whole exchange (connect, send,
 * answer). Resolves with the status, or rejects with the reason. Redirects are not followed (a
 * 3xx is an answer like any other). `policy` vets the address connected to.
 */
export function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number, policy: DestinationPolicy): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return reject(new Error('invalid url'));
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0) {
      const why = policy.checkAddress(host, false);
      if (why) return reject(Object.assign(new Error(why), { code: 'EDESTINATION' }));
    }
    const transport = target.protocol === 'https:' ? https : http;
    const req = transport.request(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      agent: false,
      lookup: policy.lookupFor(host) as never,
    }, (res) => {
      // Read at most a little of the answer (an Event Grid handshake echo); drop the rest.
      let text = '';
      res.on('data', (c: Buffer) => {
        if (text.length < 4096) text += c.toString('utf8');
      });
      res.on('end', () => {
        clearTimeout(deadline);
        resolve({ status: res.statusCode ?? 0, text });
      });
      res.on('error', (err) => {
        clearTimeout(deadline);
        reject(err);
      });
    });
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    req.end(body);
  });
}

/** Why a POST failed, for the dead-letter list (never a body or a secret). */
export function failureReason(err: unknown, timeoutMs: number): string {
  const e = err as Error & { code?: string };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  if (e.code === 'EDESTINATION') return e.message;
  return `connection failed${e.code ? ` (${e.code})` : ''}`;
}

