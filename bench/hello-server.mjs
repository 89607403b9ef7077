// The baseline: a bare node:http hello-world JSON server, or node:https when given a certificate
// and key file (argv[2], argv[3]). Prints its port.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const body = JSON.stringify({ hello: 'world' });
const handler = (req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};
const [cert, key] = process.argv.slice(2);
const server = cert ? https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, handler) : http.createServer(handler);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
