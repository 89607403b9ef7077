/**
 * The web UI front: serves the built single-page app (`dist/ui`, made by `npm run build`) under
 * `/ui/`, and redirects `/` there. The UI is a plain client of the public `/v1/` API; nothing
 * here reads Coffer's state.
 *
 * Invariants: a request can never leave the UI directory (each decoded path segment is checked,
 * then the joined path is checked again); every answer carries a strict CSP (no inline script or
 * style) and anti-framing headers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The Content-Security-Policy of every UI answer. */
export const UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Headers sent with every UI answer (files, fallbacks and 404s alike). */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': UI_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite writes content-hashed file names under `assets/`: those never change, so cache them for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The package root (the nearest directory above this module with Coffer's package.json), so the
 * same code finds `dist/ui` when running from `dist/api/ui/` (built) and from `src/api/ui/` (tsx).
 */
export function findPackageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'coffer') return dir;
      } catch {
        // An unreadable package.json is not ours; keep walking up.
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** The default UI directory: `<package root>/dist/ui`. */
export function defaultUiDir(): string {
  const root = findPackageRoot();
  return root ? join(root, 'dist', 'ui') : resolve('dist', 'ui');
}

/** Options of registerUi. */
export interface UiOptions {
  /** The built UI (default `<package root>/dist/ui`). */
  dir?: string;
}

/**
 * Maps the part of the URL after `/ui/` to a file inside `root`, or undefined when the path is
 * malformed or tries to leave the directory (`..`, encoded slashes, NUL, backslashes).
 */
export function resolveUiPath(root: string, rest: string): string | undefined {
  const segments: string[] = [];
  for (const raw of rest.split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (seg === '' || seg === '.') continue;
    if (seg === '..' || seg.includes('/') || seg.includes('\\') || seg.includes('\0')) return undefined;
    segments.push(seg);
  }
  const full = resolve(root, ...segments);
  // Belt and braces: the joined path must still be inside the root.
  if (full !== root && !full.startsWith(root + sep)) return undefined;
  return full;
}

function notFound(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(404).headers({ ...UI_SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).send(message);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Registers `GET|HEAD /` (302 to /ui/), `/ui` (302 to /ui/) and `/ui/*` (the app). */
export function registerUi(app: FastifyInstance, options: UiOptions = {}): void {
  const root = resolve(options.dir ?? defaultUiDir());
  const index = join(root, 'index.html');

  const redirect = async (_request: FastifyRequest, reply: FastifyReply) => reply.code(302).headers({ location: '/ui/', 'cache-control': 'no-store' }).send();
  app.route({ method: ['GET', 'HEAD'], url: '/', handler: redirect });
  app.route({ method: ['GET', 'HEAD'], url: '/ui', handler: redirect });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/ui/*',
    handler: async (request, reply) => {
      if (!(await isFile(index))) {
        return notFound(reply, `The Coffer web UI is not built: run \`npm run build\` (it writes ${root}).\n`);
      }
      // The raw URL, not fastify's decoded parameter: the traversal check must see every encoded segment.
      const rest = request.raw.url!.split('?')[0]!.slice('/ui/'.length);
      const target = resolveUiPath(root, rest);
      if (target === undefined) return notFound(reply, 'not found\n');

      let file = target;
      if (!(await isFile(file))) {
        // Client-side routes (no extension) get the app; a missing asset is a plain 404.
        if (extname(file) !== '' && target !== root) return notFound(reply, 'not found\n');
        file = index;
      }
      const body = await readFile(file);
      const relative = file.slice(root.length + 1).split(sep).join('/');
      const cache = file === index ? 'no-store' : relative.startsWith('assets/') ? IMMUTABLE : 'no-cache';
      reply.code(200).headers({
        ...UI_SECURITY_HEADERS,
        'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'cache-control': cache,
        'content-length': String(body.length),
      });
      return request.method === 'HEAD' ? reply.send() : reply.send(body);
    },
  });
}
