import { describe, expect, it } from 'vitest';
import { parseEnv, serializeEnv, quoteEnvValue } from './env';
import { diffMaps, rebase, summarize } from './diff';
import { folderToEnv, planBulk } from './bulk';
import { casConflict, parentFolder, joinPath } from './paths';

describe('.env parse/serialise', () => {
  it('parses bare, quoted, commented and exported lines', () => {
    const text = [
      '# a comment',
      '',
      'A=1',
      'export B = two words  # trailing comment',
      'C="line1\\nline2 \\"q\\" \\\\ $HOME"',
      "D='literal \\n # not a comment'",
      'E=',
      'F="#hash"  # comment',
      'G=a#b',
    ].join('\n');
    const { entries, errors } = parseEnv(text);
    expect(errors).toEqual([]);
    expect(Object.fromEntries(entries)).toEqual({
      A: '1',
      B: 'two words',
      C: 'line1\nline2 "q" \\ $HOME',
      D: 'literal \\n # not a comment',
      E: '',
      F: '#hash',
      G: 'a#b',
    });
  });

  it('reports errors with line numbers', () => {
    const { errors } = parseEnv('A=1\nnot a pair\nB="open\nA=2\nC D=3');
    expect(errors).toEqual([
      { line: 2, message: 'expected KEY=value' },
      { line: 3, message: expect.stringMatching(/unterminated/) },
      { line: 4, message: 'key "A" is already set on line 1' },
      { line: 5, message: expect.stringMatching(/whitespace/) },
    ]);
  });

  it('round-trips awkward values', () => {
    const m: [string, string][] = [
      ['plain', 'abc-123_./:@+'],
      ['empty', ''],
      ['spaces', '  padded  '],
      ['quotes', `he said "hi" and 'bye'`],
      ['newline', 'a\nb\r\nc\td'],
      ['backslash', 'C:\\path\\n'],
      ['hash', 'x #y'],
      ['dollar', '$X ${Y}'],
      ['unicode', 'héllo ☃'],
      ['eq', 'a=b=c'],
    ];
    const text = serializeEnv(m);
    expect(parseEnv(text)).toEqual({ entries: m, errors: [] });
    expect(quoteEnvValue('simple')).toBe('simple');
    expect(quoteEnvValue('a b')).toBe('"a b"');
  });

  it('refuses to write a key that cannot be read back', () => {
    expect(() => serializeEnv([['a b', 'x']])).toThrow(/whitespace/);
  });
});

describe('map diff and rebase', () => {
  it('finds added, removed and changed keys', () => {
    const changes = diffMaps({ a: '1', b: '2', c: { x: 1 } }, { a: '1', b: '3', d: '4', c: { x: 1 } });
    expect(changes).toEqual([
      { key: 'b', kind: 'changed', before: '2', after: '3' },
      { key: 'd', kind: 'added', after: '4' },
    ]);
    expect(summarize(diffMaps({ a: '1' }, { b: '1' }))).toBe('1 added, 1 removed');
    expect(summarize([])).toBe('no changes');
  });

  it('re-applies an edit on the newer copy and names the clashes', () => {
    const base = { a: '1', b: '2', c: '3' };
    const mine = { a: 'mine', b: '2', d: 'new' }; // changed a, removed c, added d
    const theirs = { a: 'theirs', b: 'B', c: '3', e: 'E' }; // changed a and b, added e
    const { result, clashes } = rebase(base, mine, theirs);
    expect(result).toEqual({ a: 'mine', b: 'B', d: 'new', e: 'E' });
    expect(clashes).toEqual(['a']);
  });
});

describe('bulk .env mapping', () => {
  const folder = [
    { name: 'db', version: 3, data: { user: 'app', pass: 'p w' } },
    { name: 'api', version: 1, data: { token: 'x' } },
    { name: 'odd__name', version: 1, data: { k: 'v' } },
    { name: 'nums', version: 2, data: { n: 5 } },
  ];

  it('flattens editable secrets and round-trips', () => {
    const text = folderToEnv(folder);
    expect(text).toBe('api__token=x\ndb__pass="p w"\ndb__user=app\n');
    const plan = planBulk(folder, text);
    expect(plan.errors).toEqual([]);
    expect(plan.plans.map((p) => [p.name, p.action])).toEqual([['api', 'unchanged'], ['db', 'unchanged']]);
    expect(plan.skipped.map((s) => s.name)).toEqual(['odd__name', 'nums']);
  });

  it('plans creates and updates with the CAS of the loaded version', () => {
    const plan = planBulk(folder, 'db__user=app\ndb__host=h\nnew__a__b=1\n');
    const byName = Object.fromEntries(plan.plans.map((p) => [p.name, p]));
    expect(byName.db!.action).toBe('update');
    expect(byName.db!.cas).toBe(3);
    expect(byName.db!.after).toEqual({ user: 'app', host: 'h' });
    expect(byName.db!.changes.map((c) => `${c.kind}:${c.key}`)).toEqual(['added:host', 'removed:pass']);
    expect(byName.new!).toMatchObject({ action: 'create', cas: 0, after: { a__b: '1' } });
    expect(byName.api!.action).toBe('unchanged'); // no lines left: never deleted
  });

  it('rejects lines for skipped secrets and malformed names', () => {
    const plan = planBulk(folder, 'nums__n=6\nnoseparator=1\n');
    expect(plan.errors.map((e) => e.line)).toEqual([1, 2]);
  });
});

describe('paths', () => {
  it('joins and splits folder paths', () => {
    expect(joinPath('', 'a/')).toBe('a/');
    expect(joinPath('a/', 'b')).toBe('a/b');
    expect(parentFolder('a/b/c')).toBe('a/b/');
    expect(parentFolder('c')).toBe('');
  });
  it('recognises a check-and-set refusal', () => {
    expect(casConflict({ name: 'ApiError', status: 400, errors: ['check-and-set parameter did not match the current version'] })).toBe(true);
    expect(casConflict({ name: 'ApiError', status: 400, errors: ['no data provided'] })).toBe(false);
  });
});
