import { describe, expect, it } from 'vitest';

import { expandIncludes, parseQuery, splitNamedQueries } from '../../src/db/sql-text.js';

describe('parseQuery', () => {
  it('turns :names into positional parameters, reusing the number of a repeated name', () => {
    const parsed = parseQuery('q', 'SELECT * FROM t WHERE a = :a::uuid AND b > :b AND c = :a;');
    expect(parsed.text).toBe('SELECT * FROM t WHERE a = $1::uuid AND b > $2 AND c = $1');
    expect(parsed.params).toEqual(['a', 'b']);
  });

  it('leaves casts, strings, quoted identifiers, comments and dollar bodies alone', () => {
    const source = [
      '-- uses :not_a_param',
      "SELECT '00:00:00'::time, 'x:y', \"col:name\", $$ :inside $$, $tag$ :also $tag$,",
      "/* :nor_this */ :real AS r, e'it''s :quoted'",
    ].join('\n');
    const parsed = parseQuery('q', source);
    expect(parsed.params).toEqual(['real']);
    expect(parsed.text).toContain("'00:00:00'::time");
    expect(parsed.text).toContain('$1 AS r');
  });

  it('reports an unterminated string or comment and an empty query', () => {
    expect(() => parseQuery('q', "SELECT 'oops")).toThrow(/q: unterminated ' quote/);
    expect(() => parseQuery('q', 'SELECT /* oops')).toThrow(/unterminated \/\* comment/);
    expect(() => parseQuery('q', '-- nothing here\n')).toThrow(/q: empty query/);
  });
});

describe('splitNamedQueries', () => {
  it('splits on -- name: lines', () => {
    const parts = splitNamedQueries('-- name: One\nSELECT 1;\n\n-- name: Two\nSELECT 2;\n', 'file');
    expect(parts.map((p) => [p.name, p.body.trim()])).toEqual([
      ['One', 'SELECT 1;'],
      ['Two', 'SELECT 2;'],
    ]);
  });

  it('names a file without markers after its path', () => {
    expect(splitNamedQueries('SELECT 1', 'prebuilds/claim')).toEqual([
      { name: 'prebuilds/claim', body: 'SELECT 1' },
    ]);
  });

  it('rejects SQL before the first marker', () => {
    expect(() => splitNamedQueries('SELECT 0;\n-- name: One\nSELECT 1;', 'f')).toThrow(
      /before the first "-- name:" line/,
    );
  });
});

describe('expandIncludes', () => {
  it('embeds a query in another, without its semicolon, parameters bound by name', () => {
    const bodies = new Map([
      ['Claim', '\n-- the claim\nUPDATE t SET a = :a WHERE id = :id\nRETURNING id;\n'],
      ['WithBuild', '\nWITH c AS (\n  -- include: Claim\n)\nINSERT INTO b SELECT id, :a FROM c;\n'],
    ]);
    const out = expandIncludes(bodies);
    expect(out.get('WithBuild')).toBe(
      '\nWITH c AS (\n-- the claim\nUPDATE t SET a = :a WHERE id = :id\nRETURNING id\n)\nINSERT INTO b SELECT id, :a FROM c;\n',
    );
    expect(out.get('Claim')).toBe(bodies.get('Claim'));
    expect(parseQuery('WithBuild', out.get('WithBuild') as string).params).toEqual(['a', 'id']);
  });

  it('expands nested includes and leaves other comments alone', () => {
    const out = expandIncludes(
      new Map([
        ['A', 'SELECT 1'],
        ['B', '-- include: A\n-- includes nothing: just a comment'],
        ['C', 'SELECT * FROM (\n-- include: B\n) x'],
      ]),
    );
    expect(out.get('C')).toBe(
      'SELECT * FROM (\nSELECT 1\n-- includes nothing: just a comment\n) x',
    );
  });

  it('names an unknown query and a cycle', () => {
    expect(() => expandIncludes(new Map([['A', '-- include: Nope']]))).toThrow(
      'SQL query "A" includes "Nope", which is not defined',
    );
    expect(() =>
      expandIncludes(
        new Map([
          ['A', '-- include: B'],
          ['B', '-- include: A'],
        ]),
      ),
    ).toThrow('SQL include cycle: A includes B includes A');
  });
});
