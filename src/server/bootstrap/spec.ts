/**
 * The `bootstrap { ... }` block of the server config: what a new server must contain (mounts,
 * auth methods, policies, audit devices, AppRole roles, Key Vault vaults). This module only
 * reads and checks the block; `apply.ts` makes the server match it.
 *
 * ```hcl
 * bootstrap {
 *   # or: file = "bootstrap.hcl"   (the same items, at the top level of that file)
 *   mount "kv-prod"        { type = "kv"  options = { version = "2" } }
 *   auth "approle"         { type = "approle" }
 *   policy "admin"         { policy = <<EOT
 * path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }
 * EOT
 *   }
 *   audit "file"           { type = "file"  options = { file_path = "/var/log/coffer/audit.log" } }
 *   approle_role "admin"   { role_id = "admin-ci" bind_secret_id = false token_bound_cidrs = ["10.0.0.0/8"] token_policies = ["admin"] }
 *   vault "payments"       { soft_delete_retention_days = 30  purge_protection = true }
 * }
 * ```
 * Every problem found here is one ConfigError naming the file and line; nothing is applied then.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { HclError, blocks, hclPosition, labeledBlocks, mergeBlocks, own, parseHcl, type HclObject, type HclValue } from '../../core/hcl/parser.js';
import { parsePolicy } from '../../core/acl/policy.js';

/** The kinds of bootstrap items, in the order they are applied (a role needs its auth mount, a policy before it is used). */
export const BOOTSTRAP_KINDS = ['audit', 'policy', 'mount', 'auth', 'vault', 'approle_role'] as const;

/** One kind of bootstrap item. */
export type BootstrapKind = (typeof BOOTSTRAP_KINDS)[number];

/** One item of the bootstrap block. */
export interface BootstrapItem {
  kind: BootstrapKind;
  /** The label: a mount/auth/audit path without slashes at either end, a policy, role or vault name. */
  name: string;
  /** `file:line` where the item was written, for messages. */
  where: string;
  /** The item's settings, with nested blocks (`options = { ... }`) as plain objects. */
  fields: Record<string, unknown>;
}

/** The parsed bootstrap: its items in application order. */
export interface BootstrapSpec {
  items: BootstrapItem[];
}

/** A bootstrap problem, already prefixed with `file:line:`. */
export class BootstrapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BootstrapError';
  }
}

/** The settings each kind accepts (`approle_role` passes its fields through to the role API, which checks them). */
const FIELDS: Record<BootstrapKind, readonly string[] | undefined> = {
  mount: ['type', 'description', 'options', 'config', 'local', 'seal_wrap'],
  auth: ['type', 'description', 'options', 'config', 'local'],
  policy: ['policy'],
  audit: ['type', 'description', 'options', 'local'],
  approle_role: undefined,
  vault: ['description', 'soft_delete_retention_days', 'purge_protection', 'enforce_validity_window'],
};
/** Settings that are maps (written as nested blocks). */
const MAP_FIELDS = new Set(['options', 'config']);
/** Required settings per kind. */
const REQUIRED: Partial<Record<BootstrapKind, string[]>> = { mount: ['type'], auth: ['type'], policy: ['policy'], audit: ['type'] };

/**
 * Reads the `bootstrap` value of a config document parsed with `{ positions: true }`.
 * `source` names the config file; a `file = "..."` setting is read relative to `baseDir`.
 */
export function parseBootstrap(value: HclValue, source: string, baseDir: string, configDoc: HclObject): BootstrapSpec {
  const line = (obj: HclObject, key: string) => hclPosition(obj, key)?.line;
  const at = (file: string, l: number | undefined) => (l ? `${file}:${l}` : file);
  let list: HclObject[];
  try {
    list = blocks(value, '"bootstrap"');
  } catch (err) {
    throw new BootstrapError(`${at(source, line(configDoc, 'bootstrap'))}: ${(err as Error).message}`);
  }
  const body = mergeBlocks(list);
  // mergeBlocks loses positions: look keys up in the block that holds them.
  const holder = (key: string) => list.find((b) => own(b, key) !== undefined) ?? body;
  let doc = body;
  let file = source;
  let docHolder: (key: string) => HclObject = holder;
  const fileSetting = own(body, 'file');
  if (fileSetting !== undefined) {
    const where = at(source, line(holder('file'), 'file'));
    if (typeof fileSetting !== 'string' || fileSetting === '') throw new BootstrapError(`${where}: bootstrap "file" must be a path string`);
    const others = Object.keys(body).filter((k) => k !== 'file');
    if (others.length > 0) throw new BootstrapError(`${where}: bootstrap { file = ... } cannot be combined with items in the block (${others.join(', ')}); put them all in the file`);
    file = resolve(baseDir, fileSetting);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new BootstrapError(`${where}: cannot read bootstrap file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      doc = parseHcl(text, { positions: true });
    } catch (err) {
      const e = err as HclError;
      throw new BootstrapError(`${at(file, e.line)}: ${e.detail ?? e.message}`);
    }
    docHolder = () => doc;
  }

  const known = new Set<string>(BOOTSTRAP_KINDS);
  for (const key of Object.keys(doc)) {
    if (!known.has(key)) {
      throw new BootstrapError(`${at(file, line(docHolder(key), key))}: unknown bootstrap item "${key}" (known: ${BOOTSTRAP_KINDS.join(', ')})`);
    }
  }
  const items: BootstrapItem[] = [];
  for (const kind of BOOTSTRAP_KINDS) {
    const seen = new Map<string, string>();
    let found: ReturnType<typeof labeledBlocks>;
    try {
      found = labeledBlocks(doc, kind);
    } catch (err) {
      throw new BootstrapError(`${at(file, line(docHolder(kind), kind))}: ${(err as Error).message}; write ${kind} "<name>" { ... }`);
    }
    for (const { label, body: itemBody, wrapper } of found) {
      const where = at(file, line(wrapper, label));
      const name = kind === 'mount' || kind === 'auth' || kind === 'audit' ? label.replace(/^\/+|\/+$/g, '') : label;
      if (name === '' || /[\s]/.test(name) || name.split('/').some((s) => s === '' || s === '.' || s === '..')) {
        throw new BootstrapError(`${where}: ${kind} "${label}": invalid name (no spaces, no empty, "." or ".." segments)`);
      }
      const first = seen.get(name);
      if (first) throw new BootstrapError(`${where}: ${kind} "${name}" is declared twice (first at ${first})`);
      seen.set(name, where);
      items.push({ kind, name, where, fields: readFields(kind, name, itemBody, where) });
    }
  }
  return { items };
}

function readFields(kind: BootstrapKind, name: string, body: HclObject, where: string): Record<string, unknown> {
  const allowed = FIELDS[kind];
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(body)) {
    if (allowed && !allowed.includes(key)) throw new BootstrapError(`${where}: ${kind} "${name}": unknown setting "${key}" (known: ${allowed.join(', ')})`);
    const v = body[key]!;
    if (MAP_FIELDS.has(key)) {
      let map: HclObject;
      try {
        map = mergeBlocks(blocks(v, `"${key}"`));
      } catch {
        throw new BootstrapError(`${where}: ${kind} "${name}": "${key}" must be a map, e.g. ${key} = { version = "2" }`);
      }
      for (const [k, mv] of Object.entries(map)) {
        if (typeof mv === 'object' && mv !== null) throw new BootstrapError(`${where}: ${kind} "${name}": ${key}.${k} must be a string, number or bool`);
      }
      fields[key] = { ...map };
    } else if (Array.isArray(v) && v.some((e) => typeof e === 'object' && e !== null)) {
      throw new BootstrapError(`${where}: ${kind} "${name}": "${key}" must be a value or a list of values, not a block`);
    } else {
      fields[key] = v;
    }
  }
  for (const req of REQUIRED[kind] ?? []) {
    if (fields[req] === undefined || fields[req] === '') throw new BootstrapError(`${where}: ${kind} "${name}": "${req}" is required`);
  }
  if (kind === 'mount' || kind === 'auth' || kind === 'audit') {
    if (typeof fields.type !== 'string') throw new BootstrapError(`${where}: ${kind} "${name}": "type" must be a string`);
  }
  if (kind === 'policy') {
    if (typeof fields.policy !== 'string') throw new BootstrapError(`${where}: policy "${name}": "policy" must be a string (a heredoc: policy = <<EOT ... EOT)`);
    try {
      parsePolicy(name, fields.policy);
    } catch (err) {
      throw new BootstrapError(`${where}: policy "${name}": ${(err as Error).message} (lines counted from the start of the policy text)`);
    }
  }
  if (kind === 'approle_role') {
    const mount = fields.mount ?? 'approle';
    if (typeof mount !== 'string' || mount === '') throw new BootstrapError(`${where}: approle_role "${name}": "mount" must be the path of an approle auth mount (default "approle")`);
  }
  return fields;
}
