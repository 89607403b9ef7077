/**
 * Listener limits against slow and greedy clients: how long a client may take to send its
 * headers and its whole request, how long an idle keep-alive connection stays open, and how
 * many connections may be open in total and per client address. Node's own defaults (300 s
 * per request, 60 s for headers checked only every 30 s, no connection cap) let a handful of
 * clients trickling one byte every few seconds hold the server's sockets for minutes.
 */
import type http from 'node:http';
import type net from 'node:net';

/** The limits of one listener (the `listener "tcp"` block's http_* and max_connections* settings). */
export interface ListenerLimits {
  /** Time to receive the complete request headers, in ms (http_read_header_timeout). */
  headersTimeoutMs: number;
  /** Time to receive the whole request, body included, in ms (http_read_timeout). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection waits for its next request, in ms (http_idle_timeout). */
  idleTimeoutMs: number;
  /** Open connections in total; further ones are closed at once. 0: no limit. */
  maxConnections: number;
  /** Open connections per client IP address; further ones are closed at once. 0: no limit. */
  maxConnectionsPerClient: number;
}

/**
 * Defaults for a production server: Vault's header and request timeouts (10 s, 30 s), Node's
 * 5 s keep-alive, and connection caps well above what real clients open (SDKs pool a few
 * connections each). Behind a reverse proxy every request comes from the proxy's address:
 * raise max_connections_per_client or set it to 0 there.
 */
export const DEFAULT_LISTENER_LIMITS: Readonly<ListenerLimits> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 5_000,
  maxConnections: 4096,
  maxConnectionsPerClient: 256,
});

/**
 * Options for http(s).createServer. Node enforces the header and request timeouts from a
 * periodic sweep (every 30 s by default, which let a header trickle live ~90 s), so the sweep
 * runs at a quarter of the shorter timeout, at most once a second. For HTTPS the TLS handshake
 * gets the header timeout too (Node's default is 120 s).
 */
export function serverOptions(limits: ListenerLimits): Pick<http.ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval'> & { handshakeTimeout: number } {
  const shorter = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(shorter / 4))),
    handshakeTimeout: limits.headersTimeoutMs,
  };
}

/** Applies the keep-alive timeout, the first-byte timeout and both connection caps to a created (not yet listening) server. */
export function applyConnectionLimits(server: net.Server & Partial<Pick<http.Server, 'keepAliveTimeout'>>, limits: ListenerLimits): void {
  server.keepAliveTimeout = limits.idleTimeoutMs;
  closeSilentConnections(server, limits.headersTimeoutMs);
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  if (limits.maxConnectionsPerClient > 0) capConnectionsPerClient(server, limits.maxConnectionsPerClient);
}

/**
 * Closes a connection that sent nothing within `ms` of opening. Node times the headers only from
 * their first byte, so a client that opens connections and stays silent (a browser's spare
 * preconnected sockets, or an attacker) held them for ever: up to the connection caps, and
 * keeping a stopping server's close() waiting. Counted on the raw TCP socket, so for HTTPS the
 * TLS handshake counts as sending (the handshake has its own timeout).
 */
function closeSilentConnections(server: net.Server, ms: number): void {
  server.on('connection', (socket: net.Socket) => {
    const timer = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, ms);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}

/**
 * Closes a new connection when its client address already holds `max` open ones. Counted on
 * the raw TCP socket ('connection'), so it also covers clients that never finish a TLS
 * handshake or a request.
 */
function capConnectionsPerClient(server: net.Server, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: net.Socket) => {
    // IPv4 clients of a dual-stack listener appear as ::ffff:a.b.c.d; count them as a.b.c.d.
    const client = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const count = open.get(client) ?? 0;
    if (count >= max) {
      socket.destroy();
      return;
    }
    open.set(client, count + 1);
    socket.once('close', () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left > 0) open.set(client, left);
      else open.delete(client);
    });
  });
}

/** Sockets whose current request is exempt from the whole-request timeout (a streamed upload). */
const exempt = new WeakSet<object>();

/**
 * Exempts the socket's current request from http_read_timeout (a streamed snapshot upload,
 * which enforces its own idle timeout between chunks instead). Returns the release to call when
 * the response is done, so a later request on the same keep-alive connection is timed again.
 * Needs {@link installRequestTimeoutExemption} on the server.
 */
export function exemptFromRequestTimeout(socket: object): () => void {
  exempt.add(socket);
  return () => exempt.delete(socket);
}

/**
 * Lets {@link exemptFromRequestTimeout} work: Node reports an expired request as a
 * `clientError` (ERR_HTTP_REQUEST_TIMEOUT) and then stops tracking it; for an exempt socket that
 * report is swallowed here, before any listener (fastify's answers 408 and destroys the socket).
 */
export function installRequestTimeoutExemption(server: net.Server): void {
  const emit = server.emit.bind(server);
  server.emit = (event: string | symbol, ...args: unknown[]): boolean => {
    if (event === 'clientError' && (args[0] as { code?: string } | undefined)?.code === 'ERR_HTTP_REQUEST_TIMEOUT' && typeof args[1] === 'object' && args[1] !== null && exempt.has(args[1])) {
      return true;
    }
    return emit(event, ...args);
  };
}
