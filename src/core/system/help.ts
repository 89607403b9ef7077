/**
 * `?help=1` on any path, answered as Vault does: not in the usual envelope but as a top-level
 * `{"help": ..., "openapi": ..., "see_also": ...}`. The text is built from the route's own
 * `help`, pattern and declared fields; `openapi` is an OpenAPI 3 document with that one path.
 */
import type { Backend, MountEntry, Route } from '../backend.js';
import type { LogicalResponse, Operation } from '../logical.js';
import { patternFields } from '../fields.js';

/** The OpenAPI method each operation is served under (LIST is a GET with `list=true`). */
const METHOD: Record<Exclude<Operation, 'help'>, string> = {
  read: 'get', list: 'get', scan: 'get', create: 'post', update: 'post', patch: 'patch', delete: 'delete',
};

/** The route pattern without its anchors, with named groups written as OpenAPI `{name}` templates. */
export function pathTemplate(pattern: RegExp): string {
  let src = pattern.source.replace(/^\^/, '').replace(/\$$/, '');
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const named = /^\(\?<([A-Za-z_$][\w$]*)>/.exec(src.slice(i));
    if (!named) {
      out += src[i];
      continue;
    }
    // Skip to the group's closing parenthesis (groups may nest, characters may be escaped).
    let depth = 0;
    let j = i;
    for (; j < src.length; j++) {
      if (src[j] === '\\') { j++; continue; }
      if (src[j] === '(') depth++;
      else if (src[j] === ')' && --depth === 0) break;
    }
    out += `{${named[1]}}`;
    i = j;
  }
  src = out.replace(/\\\//g, '/').replace(/\/\?$/, '/');
  return src;
}

/** A pattern as Vault prints it (Go syntax): `(?P<name>...)`, no escaped slashes. */
function displayPattern(pattern: RegExp): string {
  return pattern.source.replace(/\(\?<([A-Za-z_$][\w$]*)>/g, '(?P<$1>').replace(/\\\//g, '/');
}

function fieldList(route: Route): string[] {
  return Array.isArray(route.fields) ? [...route.fields] : [];
}

function routeText(route: Route, relPath: string): string {
  const lines = [`Request:        ${relPath}`, `Matching Route: ${displayPattern(route.pattern)}`, '', route.help ?? 'No help is available for this path.'];
  const fields = fieldList(route);
  if (fields.length > 0) {
    lines.push('', '## PARAMETERS', '');
    for (const f of [...fields].sort()) lines.push(`    ${f}`);
  }
  if (route.fields === '*') lines.push('', 'This path takes arbitrary key/value pairs.');
  return `${lines.join('\n')}\n`;
}

function openapiDoc(mount: MountEntry, route: Route, version: string): Record<string, unknown> {
  const params = patternFields(route.pattern).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const item: Record<string, unknown> = { description: route.help ?? '' };
  if (params.length > 0) item.parameters = params;
  if (route.sudo) item['x-vault-sudo'] = true;
  if (route.unauthenticated?.length) item['x-vault-unauthenticated'] = true;
  if (route.existenceCheck) item['x-vault-createSupported'] = true;
  for (const op of Object.keys(route.operations) as Exclude<Operation, 'help'>[]) {
    const method = METHOD[op];
    if (!method || item[method]) continue;
    const operation: Record<string, unknown> = { summary: route.help ?? '', tags: [mount.type], responses: { 200: { description: 'OK' } } };
    if (op === 'list') operation.parameters = [{ name: 'list', in: 'query', required: true, schema: { type: 'string', enum: ['true'] } }];
    const fields = fieldList(route);
    if (method === 'post' && fields.length > 0) {
      operation.requestBody = {
        content: { 'application/json': { schema: { type: 'object', properties: Object.fromEntries(fields.map((f) => [f, {}])) } } },
      };
    }
    item[method] = operation;
  }
  return {
    openapi: '3.0.2',
    info: {
      title: 'HashiCorp Vault API',
      description: 'HTTP API that gives you full access to Vault. All API routes are prefixed with `/v1/`.',
      version,
      license: { name: 'Mozilla Public License 2.0', url: 'https://www.mozilla.org/en-US/MPL/2.0' },
    },
    paths: { [`/${mount.path}${pathTemplate(route.pattern)}`]: item },
    components: { schemas: {} },
  };
}

/** The help answer for a path served by `route` on `mount`. */
export function routeHelp(mount: MountEntry, route: Route, relPath: string, version: string): LogicalResponse {
  return { raw: { status: 200, body: { help: routeText(route, relPath), openapi: openapiDoc(mount, route, version), see_also: null } } };
}

/** The help answer for the root of a mount that has no route there: the backend's paths and what they do. */
export function mountHelp(mount: MountEntry, backend: Backend, version: string): LogicalResponse {
  const lines = [`## DESCRIPTION`, '', mount.description || `The ${mount.type} ${mount.kind === 'auth' ? 'auth method' : 'secrets engine'} mounted at ${mount.path}.`, '', '## PATHS', ''];
  for (const route of backend.routes) {
    lines.push(`    ${displayPattern(route.pattern)}`, `        ${route.help ?? ''}`, '');
  }
  const paths: Record<string, unknown> = {};
  for (const route of backend.routes) Object.assign(paths, (openapiDoc(mount, route, version).paths as Record<string, unknown>));
  const openapi = { ...openapiDoc(mount, backend.routes[0] ?? { pattern: /^$/, operations: {} }, version), paths };
  return { raw: { status: 200, body: { help: `${lines.join('\n')}\n`, openapi, see_also: null } } };
}
