// A small closed-loop HTTP load generator: C keep-alive connections, each sending its next
// request when the previous answer arrived, for a fixed duration. Reports req/s and latency
// percentiles. Used for both the baseline and Coffer in the same run, so ratios are fair.
import http from 'node:http';

/**
 * @param {{url: string, path: string, headers?: Record<string,string>, method?: string, body?: string, connections?: number, seconds?: number, expectStatus?: number}} o
 */
export async function load(o) {
  const connections = o.connections ?? 16;
  const durationMs = (o.seconds ?? 5) * 1000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(o.path, o.url);
  const latencies = [];
  let errors = 0;
  let done = 0;
  const deadline = Date.now() + durationMs;
  const one = () =>
    new Promise((resolve) => {
      const start = process.hrtime.bigint();
      const req = http.request(target, { method: o.method ?? 'GET', headers: o.headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== (o.expectStatus ?? 200)) errors++;
          latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
          done++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      if (o.body) req.write(o.body);
      req.end();
    });
  const worker = async () => {
    while (Date.now() < deadline) await one();
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (Date.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  return { requests: done, errors, rps: done / elapsed, p50: pct(50), p99: pct(99) };
}
