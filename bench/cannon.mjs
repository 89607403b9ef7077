#!/usr/bin/env node
// The load generator, as a child process of the benchmark so that its CPU time is measured apart
// from the server's: autocannon with the spec
// ({ url, req: { path, method, headers, body, random? }, connections, seconds, workers }) read from the JSON
// file named by argv[2].
// In `req.path` and `req.body`, `{n}` becomes the request's number modulo `connections`, `{v}` a
// counter (a new value per request) and `{r}` a random key of the scale data set
// (`req.random = { max, folderSize }`: `f<i / folderSize>/k<i>`, see scale.mjs).
// Why `{n}` is round robin and not the connection's own number: with one request in its list,
// autocannon resets a connection's setupRequest context before every request, so connections
// cannot be told apart. Each connection has one request in flight, so the `connections` secrets
// get new versions in turn; two writes of one secret overlap only when one request is `connections`
// requests late (then Coffer's per-secret lock orders them).
// Prints "go" when it starts and one JSON line with the result at the end.
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { path, method = 'GET', headers = {}, body } = spec.req;
const templated = /\{[nvr]\}/.test(path + (body ?? ''));
const random = spec.req.random;
let counter = 0;
const request = { path, method, headers, body };
if (templated) {
  request.setupRequest = (req) => {
    const n = counter++ % spec.connections;
    const r = random ? Math.floor(Math.random() * random.max) : 0;
    const fill = (s) => s.replaceAll('{n}', String(n)).replaceAll('{v}', String(counter))
      .replaceAll('{r}', random ? `f${Math.floor(r / random.folderSize)}/k${r}` : '');
    return { ...req, path: fill(path), body: body === undefined ? undefined : fill(body) };
  };
}
process.stdout.write('go\n');
const r = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.seconds,
  workers: spec.workers || undefined,
  servername: spec.servername,
  requests: [request],
});
process.stdout.write(JSON.stringify({
  requests: r.requests.total,
  rps: r.requests.total / r.duration,
  p50: r.latency.p50,
  p99: r.latency.p99,
  errors: r.errors + r.timeouts + r.non2xx,
  non2xx: r.non2xx,
}) + '\n');
