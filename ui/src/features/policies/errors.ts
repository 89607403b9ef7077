/** Where a policy parse error points, from the server's message (`line N, column C: …`). */
export interface ErrorPosition {
  line: number;
  column: number;
}

/**
 * The position named by a policy error: `line N, column C:` (what the server puts first), else
 * a bare `(line N)` (column 1). Undefined when the message names no line (e.g. a JSON policy).
 */
export function policyErrorPosition(message: string): ErrorPosition | undefined {
  const full = /\bline (\d+), column (\d+)/.exec(message);
  if (full) return { line: Number(full[1]), column: Number(full[2]) };
  const bare = /\(line (\d+)\)/.exec(message);
  if (bare) return { line: Number(bare[1]), column: 1 };
  return undefined;
}

/** The character offset of `line`/`column` (1-based) in `text`, clamped to the text. */
export function offsetOf(text: string, pos: ErrorPosition): number {
  let offset = 0;
  for (let l = 1; l < pos.line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  const lineEnd = text.indexOf('\n', offset);
  const end = lineEnd < 0 ? text.length : lineEnd;
  return Math.min(offset + Math.max(0, pos.column - 1), end);
}

/** Paths typed one per line (or comma-separated): trimmed, without a leading slash, no blanks or duplicates. */
export function parsePathList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[\n,]/)) {
    const p = raw.trim().replace(/^\/+/, '');
    if (p && !out.includes(p)) out.push(p);
  }
  return out;
}
