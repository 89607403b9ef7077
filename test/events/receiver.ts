/** A webhook receiver on loopback for the events tests: records deliveries; can fail or never answer. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

/** A loopback webhook receiver; `mode` decides how it answers. */
export interface Receiver {
  url: string;
  received: { body: string; signature: string; events: any[] }[];
  mode: 'ok' | 'fail' | 'hang';
  /**
   * How it answers Event Grid's SubscriptionValidationEvent: echo the code (as an Event Grid
   * receiver does), answer 200 without it, or echo a wrong one. Validation requests are recorded
   * in `validations`, not `received`.
   */
  handshake: 'echo' | 'ignore' | 'wrong';
  validations: { headers: http.IncomingHttpHeaders; events: any[] }[];
  /** Requests open right now, and the most ever open at once (in-flight deliveries). */
  open: number;
  maxOpen: number;
  close(): Promise<void>;
}

export async function startReceiver(host = '127.0.0.1'): Promise<Receiver> {
  const r: Receiver = { url: '', received: [], mode: 'ok', handshake: 'echo', validations: [], open: 0, maxOpen: 0, close: async () => {} };
  const hanging: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    r.open++;
    r.maxOpen = Math.max(r.maxOpen, r.open);
    res.once('close', () => r.open--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.headers['aeg-event-type'] === 'SubscriptionValidation') {
        const events = JSON.parse(body);
        r.validations.push({ headers: req.headers, events });
        const code = r.handshake === 'wrong' ? 'not-the-code' : events[0]?.data?.validationCode;
        res.setHeader('content-type', 'application/json');
        res.end(r.handshake === 'ignore' ? '{}' : JSON.stringify({ validationResponse: code }));
        return;
      }
      if (r.mode === 'hang') return void hanging.push(res);
      r.received.push({ body, signature: String(req.headers['x-coffer-signature'] ?? ''), events: JSON.parse(body) });
      res.statusCode = r.mode === 'ok' ? 200 : 503;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const addr = server.address() as { port: number };
  r.url = `http://${host}:${addr.port}/hook`;
  r.close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return r;
}

/** Checks the X-Coffer-Signature header the way a receiver should (constant time). */
export function signatureValid(secret: string, body: string, header: string): boolean {
  const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const got = Buffer.from(header);
  return got.length === want.length && timingSafeEqual(got, want);
}

